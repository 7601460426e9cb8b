{#- What can start a playbook, per account and week over the last `task_history_weeks` weeks:
    every alert that fired (churn risk, onboarding, expansion, advocacy; its detail is the reason),
    a drop of the health band, and the omission rules of the seed omission_rules (a named feature,
    or all core features, unused for at least `days` days at the week's end, for the account's tier
    now). A feature's last use is known to the week: it counts as used at the end of the week it
    was last seen in, so `days` is never overstated. `held_back_reason`: the firing rests on a stale
    source that does not cover its week (int_signal_holds). -#}
with

as_of_week as (
    select * from {{ ref('int_as_of_week') }}
),

window_start as (
    select cast({{ dbt.dateadd('week', -var('task_history_weeks'), 'week_start') }} as date) as week_start
    from as_of_week
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

holds as (
    select * from {{ ref('int_signal_holds') }}
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

-- the weeks each rule's feature was seen in (all_core: any core feature), for the accounts it applies to
checked_rules as (
    select distinct account_id, rule, feature from omission_checks
),

uses as (
    select distinct checked_rules.account_id, checked_rules.rule, seen.week_start
    from checked_rules
    inner join seen
        on seen.account_id = checked_rules.account_id
        and (checked_rules.feature = 'all_core' or seen.seen = checked_rules.feature)
),

-- each check next to the uses, in time order: the latest use at or before a check's week is its last use
-- (a window over one sorted timeline instead of joining every week to all earlier ones: 2.2 s -> 0.7 s at M)
timeline as (
    select account_id, rule, week_start, 1 as is_use, cast(null as {{ dbt.type_string() }}) as feature, cast(null as {{ dbt.type_int() }}) as days,
           cast(null as {{ dbt.type_timestamp() }}) as snapshot_at, cast(null as integer) as days_since_start
    from uses
    union all
    select account_id, rule, week_start, 0 as is_use, feature, days, snapshot_at, days_since_start
    from omission_checks
),

last_use as (
    select
        account_id,
        week_start,
        rule,
        feature,
        days,
        snapshot_at,
        days_since_start,
        last_seen_week
    from (
        select
            timeline.*,
            max(case when is_use = 1 then week_start end) over (
                partition by account_id, rule order by week_start, is_use desc
                rows between unbounded preceding and current row
            ) as last_seen_week
        from timeline
    ) as ordered
    where is_use = 0
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

unioned as (
    select account_id, week_start, trigger_name, 'event' as trigger_kind, reason from alert_triggers
    union all
    select account_id, week_start, trigger_name, 'event', reason from band_triggers
    union all
    select account_id, week_start, trigger_name, 'condition', reason from omission_triggers
),

-- a firing in a week a stale source it rests on does not cover (the events feed stopped: "no core feature
-- used for 14 days" says nothing about the account)
held as (
    {{ held_back_firings('unioned', 'trigger_name') }}
),

final as (
    select
        unioned.*,
        held.held_back_reason
    from unioned
    left join held
        on held.account_id = unioned.account_id
        and held.week_start = unioned.week_start
        and held.trigger_name = unioned.trigger_name
)

select * from final
