{#- The labels the backtest judges the score by, one row per scored account-week: the week's
    score and components, its MRR at the week's snapshot, and what happened within the horizon
    (int_account_weekly_outcomes). health_score_backtest's band and auc sections are exactly the
    rows with is_known, so an analyst can recompute every figure (docs/bi.md). -#}
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
        cast(outcomes.mrr as decimal(18, 2)) as mrr,
        health.health_score,
        health.health_band,
        health.usage_points,
        health.engagement_points,
        health.support_points,
        health.relationship_points,
        health.financial_points,
        outcomes.is_known,
        case when outcomes.is_known then outcomes.had_outcome end as had_outcome,
        case when outcomes.is_known then outcomes.outcome_week end as outcome_week,
        settings.horizon_days,
        settings.loss_share
    from health
    inner join outcomes
        on outcomes.account_id = health.account_id
        and outcomes.week_start = health.week_start
    cross join settings
)

select * from final
