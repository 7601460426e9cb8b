{#- Each account's health in the as-of week and its open churn-risk alerts (the
    alerts of that week, less those held back on a stale source): one definition for dim_accounts, the renewal pipeline
    and the CSM books. Accounts that hold no seats now have no row. -#}
with

health as (
    select * from {{ ref('account_health_weekly') }}
),

current_week as (
    select week_start from {{ ref('int_as_of_week') }}
),

open_alerts as (
    select alerts.account_id, count(*) as open_alerts
    from {{ ref('churn_risk_alerts') }} as alerts
    inner join current_week
        on current_week.week_start = alerts.week_start
    where alerts.signal_type = 'churn_risk'
      and not alerts.is_held_back
    group by alerts.account_id
),

final as (
    select
        health.account_id,
        health.health_score,
        health.health_band,
        health.main_driver,
        cast(coalesce(open_alerts.open_alerts, 0) as integer) as open_alerts
    from health
    inner join current_week
        on current_week.week_start = health.week_start
    left join open_alerts
        on open_alerts.account_id = health.account_id
)

select * from final
