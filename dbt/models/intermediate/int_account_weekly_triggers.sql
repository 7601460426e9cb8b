{#- What can start a playbook, per account and week over the last `task_history_weeks` weeks:
    every alert that fired (churn risk, onboarding, expansion, advocacy; its detail is the reason),
    a drop of the health band, and the omission rules of the seed omission_rules (a named feature,
    or all core features, unused for at least `days` days at the week's end, for the account's tier
    now). A feature's last use is known to the week: it counts as used at the end of the week it
    was last seen in, so `days` is never overstated. -#}
with

weeks as (
    select * from {{ ref('int_weeks') }}
),

window_start as (
    select cast({{ dbt.dateadd('week', -var('task_history_weeks'), 'max(week_start)') }} as date) as week_start
    from weeks
),

alerts as (
    select * from {{ ref('churn_risk_alerts') }}
),

health as (
    select * from {{ ref('account_health_weekly') }}
),

bands as (
    select * from {{ ref('health_bands') }}
),

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
),

seen as (
    select * from {{ ref('int_account_weekly_seen') }}
    where kind = 'core_feature'
),

omission_rules as (
    select * from {{ ref('omission_rules') }}
),

current_tier as (
    select * from {{ ref('int_account_current_tier') }}
),

alert_triggers as (
    select alerts.account_id, alerts.week_start, alerts.rule as trigger_name, alerts.detail as reason
    from alerts
    cross join window_start
    where alerts.week_start >= window_start.week_start
),

band_triggers as (
    select
        health.account_id,
        health.week_start,
        'band_dropped' as trigger_name,
        {{ dbt.concat([
            "'health band dropped from '", "health.previous_health_band", "' to '", "health.health_band",
            "' (score '", to_text('health.health_score'), "'; main driver: '", "health.main_driver", "')'"
        ]) }} as reason
    from health
    cross join window_start
    inner join bands as now_band
        on now_band.health_band = health.health_band
    inner join bands as before_band
        on before_band.health_band = health.previous_health_band
    where health.week_start >= window_start.week_start
      and now_band.min_score < before_band.min_score
),

omission_checks as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        account_weeks.snapshot_at,
        account_weeks.days_since_start,
        omission_rules.rule,
        omission_rules.feature,
        omission_rules.days
    from account_weeks
    cross join window_start
    inner join current_tier
        on current_tier.account_id = account_weeks.account_id
    inner join omission_rules
        on omission_rules.service_tier in (current_tier.service_tier, 'all')
    where account_weeks.week_start >= window_start.week_start
      and account_weeks.is_complete
),

last_use as (
    select
        omission_checks.account_id,
        omission_checks.week_start,
        omission_checks.rule,
        omission_checks.feature,
        omission_checks.days,
        max(seen.week_start) as last_seen_week,
        min(omission_checks.snapshot_at) as snapshot_at,
        min(omission_checks.days_since_start) as days_since_start
    from omission_checks
    left join seen
        on seen.account_id = omission_checks.account_id
        and seen.week_start <= omission_checks.week_start
        and (omission_checks.feature = 'all_core' or seen.seen = omission_checks.feature)
    group by omission_checks.account_id, omission_checks.week_start, omission_checks.rule,
             omission_checks.feature, omission_checks.days
),

omission_triggers as (
    select
        account_id,
        week_start,
        rule as trigger_name,
        case
            when last_seen_week is null then {{ dbt.concat([
                "case when feature = 'all_core' then 'no core feature used' else " ~ dbt.concat(['feature', "' not used'"]) ~ " end",
                "' since the start, '", to_text('days_since_start'), "' days ago'"
            ]) }}
            else {{ dbt.concat([
                "case when feature = 'all_core' then 'no core feature used' else " ~ dbt.concat(['feature', "' not used'"]) ~ " end",
                "' for '",
                to_text(dbt.datediff(dbt.dateadd('day', 7, 'last_seen_week'), 'snapshot_at', 'day')),
                "' days'"
            ]) }}
        end as reason
    from last_use
    where (last_seen_week is null and days_since_start >= days)
       or {{ dbt.datediff(dbt.dateadd('day', 7, 'last_seen_week'), 'snapshot_at', 'day') }} >= days
),

final as (
    select account_id, week_start, trigger_name, 'event' as trigger_kind, reason from alert_triggers
    union all
    select account_id, week_start, trigger_name, 'event', reason from band_triggers
    union all
    select account_id, week_start, trigger_name, 'condition', reason from omission_triggers
)

select * from final
