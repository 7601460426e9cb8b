{#- The weekly health score, as int_account_health_scored computes it (the rules, bands, change and main
    driver are explained there and in docs/health-score.md), without the facts it keeps for rescoring. -#}
with

scored as (
    select * from {{ ref('int_account_health_scored') }}
),

final as (
    select
        account_id,
        week_start,
        usage_points,
        engagement_points,
        support_points,
        relationship_points,
        financial_points,
        health_score,
        health_band,
        score_change,
        previous_health_band,
        main_driver,
        is_complete,
        main_driver_gap,
        main_driver_gap_share
    from scored
)

select * from final
