{#- Every scored account-week whose outcome is known (its whole horizon lies before the as-of
    snapshot), with its health-score bin (backtest_settings.probability_bin_points), its outcome as 0/1,
    when its horizon ended and its MRR: what the churn probability is fitted on, today
    (account_churn_probability, health_score_calibration's fit) and quarter by quarter
    (int_health_score_predictions). It reads the weekly score of account_health_weekly. -#}
with

health as (
    select * from {{ ref('account_health_weekly') }}
),

outcomes as (
    select * from {{ ref('int_account_weekly_outcomes') }}
),

settings as (
    select * from {{ ref('backtest_settings') }}
),

final as (
    select
        health.account_id,
        health.week_start,
        cast({{ dbt.date_trunc('quarter', 'health.week_start') }} as date) as quarter_start,
        {{ score_bin('health.health_score', 'settings.probability_bin_points') }} as score_bin,
        case when outcomes.had_outcome then 1 else 0 end as outcome,
        outcomes.horizon_end,
        outcomes.mrr
    from health
    inner join outcomes
        on outcomes.account_id = health.account_id
        and outcomes.week_start = health.week_start
    cross join settings
    where outcomes.is_known
)

select * from final
