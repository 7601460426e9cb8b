{#- One row per account, week and rule that fired. Rule parameters, severity and signal type live in
    the alert_rules seed; `detail` says in words why the rule fired. A firing in a week that a stale source it
    rests on does not cover is kept but held back (`is_held_back`, `held_back_reason`: int_signal_holds). -#}
with

facts as (
    select * from {{ ref('int_account_weekly_facts') }}
),

health as (
    select * from {{ ref('account_health_weekly') }}
),

params as (
    select * from {{ ref('alert_rules') }}
),

onboarding as (
    select * from {{ ref('int_account_onboarding_milestones') }}
),

holds as (
    select * from {{ ref('int_signal_holds') }}
),

early_warnings as (
    select * from {{ ref('int_account_early_warnings') }}
),

{%- set p = "(select threshold from params where rule = '%s')" %}

login_drops as (
    select
        account_id,
        week_start,
        is_complete,
        logins,
        lag(logins) over (partition by account_id order by week_start) as previous_logins
    from facts
),

login_flags as (
    select
        login_drops.*,
        case
            when previous_logins >= (select min_volume from params where rule = 'logins_falling') and is_complete
                 and logins <= (1 - {{ p % 'logins_falling' }}) * previous_logins then 1
            else 0
        end as is_drop,
        1 - cast(logins as {{ dbt.type_float() }}) / nullif(previous_logins, 0) as drop_share
    from login_drops
),

login_streaks as (
    select
        login_flags.*,
        sum(case when is_drop = 0 then 1 else 0 end) over (
            partition by account_id order by week_start rows between unbounded preceding and current row
        ) as streak_group
    from login_flags
),

login_runs as (
    select
        login_streaks.*,
        sum(is_drop) over (
            partition by account_id, streak_group order by week_start rows between unbounded preceding and current row
        ) as weeks_falling,
        lag(drop_share, 1) over (partition by account_id order by week_start) as drop_share_1,
        lag(drop_share, 2) over (partition by account_id order by week_start) as drop_share_2
    from login_streaks
),

logins_falling as (
    select
        account_id,
        week_start,
        'logins_falling' as rule,
        {{ dbt.concat([
            "'logins fell '",
            to_text('100 * drop_share_2', round_to_integer=true), "'%, '",
            to_text('100 * drop_share_1', round_to_integer=true), "'%, '",
            to_text('100 * drop_share', round_to_integer=true),
            "'% over the last '", to_text('weeks_falling'), "' weeks'"
        ]) }} as detail
    from login_runs
    where weeks_falling >= (select weeks from params where rule = 'logins_falling')
),

-- against the account's own baseline (its 2-week average over the 8 weeks before): a fall
-- from the previous two weeks alone fired on 6% precision in the backtest (docs/health-score.md)
usage_down_tickets_up as (
    select
        account_id,
        week_start,
        'usage_down_tickets_up' as rule,
        {{ dbt.concat([
            "'core-feature events '", to_text('core_events_2w'),
            "' over two weeks against its usual '", to_text('core_events_baseline_2w', round_to_integer=true),
            "' while tickets rose '", to_text('tickets_prior_30d'),
            "' -> '", to_text('tickets_30d'), "' in 30 days'"
        ]) }} as detail
    from facts
    where is_complete
      and core_events_baseline_2w >= (select min_volume from params where rule = 'usage_down_tickets_up')
      and core_events_2w <= (1 - {{ p % 'usage_down_tickets_up' }}) * core_events_baseline_2w
      and tickets_30d > tickets_prior_30d
),

low_adoption_day_30 as (
    select
        account_id,
        week_start,
        'low_adoption_day_30' as rule,
        {{ dbt.concat([
            "'core-feature adoption '", to_text('100 * core_adoption_28d', round_to_integer=true),
            "'% at day 30'"
        ]) }} as detail
    from facts
    where days_since_start >= 30 and days_since_start < 37
      and core_adoption_28d < {{ p % 'low_adoption_day_30' }}
),

-- once, in the week an invoice crosses the threshold, not every week it stays unpaid
overdue_weeks as (
    select
        account_id,
        week_start,
        max_days_overdue,
        lag(max_days_overdue) over (partition by account_id order by week_start) as previous_max_days_overdue
    from facts
),

invoice_overdue as (
    select
        account_id,
        week_start,
        'invoice_overdue' as rule,
        {{ dbt.concat(["'an invoice is '", to_text('max_days_overdue'), "' days overdue'"]) }} as detail
    from overdue_weeks
    where max_days_overdue > {{ p % 'invoice_overdue' }}
      and coalesce(previous_max_days_overdue, 0) <= {{ p % 'invoice_overdue' }}
),

people_left as (
    select account_id, week_start, 'champion_left' as rule,
           'the champion became inactive' as detail
    from facts
    where champion_left_this_week = 1
    union all
    select account_id, week_start, 'sponsor_left', 'the executive sponsor became inactive'
    from facts
    where sponsor_left_this_week = 1
),

nps_detractor as (
    select
        account_id,
        week_start,
        'nps_detractor' as rule,
        {{ dbt.concat(["'NPS answer of '", to_text('lowest_nps_this_week')]) }} as detail
    from facts
    where lowest_nps_this_week <= {{ p % 'nps_detractor' }}
),

-- the score against the account's own average of the `weeks` weeks before (a full window). Running totals
-- of the weeks before each week make a window the difference of two rows, the week and the week `weeks`
-- weeks before; all `weeks` weeks are there exactly when the row count between them is `weeks` (one row per
-- account and week). Joining each week with every week of its window instead: the model took 1.44 s at M,
-- against 1.09 s (the bench's warehouse, session 19).
health_running as (
    select
        account_id,
        week_start,
        coalesce(sum(cast(health_score as {{ dbt.type_float() }})) over (
            partition by account_id order by week_start rows between unbounded preceding and 1 preceding
        ), 0) as score_before,
        count(*) over (
            partition by account_id order by week_start rows between unbounded preceding and 1 preceding
        ) as weeks_before,
        coalesce(sum(case when health_band = 'red' then 1 else 0 end) over (
            partition by account_id order by week_start rows between unbounded preceding and 1 preceding
        ), 0) as red_weeks_before
    from health
),

health_baselines as (
    select
        running.account_id,
        running.week_start,
        params.rule,
        params.threshold,
        params.weeks,
        (running.score_before - window_start.score_before) / params.weeks as baseline_score,
        running.weeks_before - window_start.weeks_before as baseline_weeks,
        case when running.red_weeks_before > window_start.red_weeks_before then 1 else 0 end as was_red
    from health_running as running
    inner join params
        on params.rule in ('health_dropped', 'health_turned_red')
    inner join health_running as window_start
        on window_start.account_id = running.account_id
        and window_start.week_start = cast({{ dbt.dateadd('day', '-7 * params.weeks', 'running.week_start') }} as date)
),

health_changes as (
    select
        health.account_id,
        health.week_start,
        health.health_score,
        health.health_band,
        health.previous_health_band,
        health.main_driver,
        health_baselines.rule,
        health_baselines.weeks,
        health_baselines.baseline_score,
        health_baselines.was_red,
        health_baselines.baseline_score - health.health_score >= health_baselines.threshold as fell_from_baseline
    from health
    inner join health_baselines
        on health_baselines.account_id = health.account_id
        and health_baselines.week_start = health.week_start
        and health_baselines.baseline_weeks = health_baselines.weeks
),

-- red for the first time in `weeks` weeks and well below its own baseline: an account
-- hovering at the red line used to fire every other week (10% precision in the backtest)
turned_red as (
    select
        account_id,
        week_start,
        'health_turned_red' as rule,
        {{ dbt.concat([
            "'health score '", to_text('health_score'),
            "' (red, was '", "previous_health_band", "'; its '", to_text('weeks'), "'-week average '",
            to_text('baseline_score', round_to_integer=true), "'); main driver: '", "main_driver"
        ]) }} as detail
    from health_changes
    where rule = 'health_turned_red'
      and health_band = 'red' and previous_health_band is not null and previous_health_band <> 'red'
      and was_red = 0 and fell_from_baseline
),

health_dropped as (
    select
        account_id,
        week_start,
        'health_dropped' as rule,
        {{ dbt.concat([
            "'health score '", to_text('health_score'), "' against its '", to_text('weeks'),
            "'-week average of '", to_text('baseline_score', round_to_integer=true), "'; main driver: '", "main_driver"
        ]) }} as detail
    from health_changes
    where rule = 'health_dropped' and fell_from_baseline
),

-- in the week a milestone of the first `onboarding_days` days is still missing at `threshold`
-- times its target day (seed onboarding_targets); once, when onboarding becomes stalled
stalled_milestones as (
    select
        facts.account_id,
        facts.week_start,
        facts.days_since_start,
        onboarding.milestone,
        onboarding.target_days,
        row_number() over (
            partition by facts.account_id, facts.week_start order by onboarding.target_days, onboarding.milestone
        ) as stall_rank
    from facts
    inner join onboarding
        on onboarding.account_id = facts.account_id
    where facts.days_since_start <= {{ var('onboarding_days') }}
      and (onboarding.reached_on is null or onboarding.reached_on >= cast(facts.snapshot_at as date))
      and facts.days_since_start > {{ p % 'stalled_onboarding' }} * onboarding.target_days
),

onboarding_weeks as (
    select
        facts.account_id,
        facts.week_start,
        stalled_milestones.days_since_start,
        stalled_milestones.milestone,
        stalled_milestones.target_days,
        lag(case when stalled_milestones.account_id is null then 0 else 1 end) over (
            partition by facts.account_id order by facts.week_start
        ) as was_stalled
    from facts
    left join stalled_milestones
        on stalled_milestones.account_id = facts.account_id
        and stalled_milestones.week_start = facts.week_start
        and stalled_milestones.stall_rank = 1
),

stalled_onboarding as (
    select
        account_id,
        week_start,
        'stalled_onboarding' as rule,
        {{ dbt.concat([
            "'onboarding stalled on day '", to_text('days_since_start'), "': '", "milestone",
            "' not reached (target day '", to_text('target_days'), "')'"
        ]) }} as detail
    from onboarding_weeks
    where milestone is not null and coalesce(was_stalled, 0) = 0
),

seats_nearly_full as (
    select
        account_id,
        week_start,
        'seats_nearly_full' as rule,
        {{ dbt.concat([
            to_text('users_active_28d'), "' of '",
            to_text('licensed_seats'), "' licensed seats active in 28 days'"
        ]) }} as detail
    from facts
    where licensed_seats > 0
      and users_active_28d >= {{ p % 'seats_nearly_full' }} * licensed_seats
),

promoter_green as (
    select
        facts.account_id,
        facts.week_start,
        'promoter_green' as rule,
        {{ dbt.concat([
            "'NPS '", to_text('facts.highest_nps_this_week'),
            "' with a green health score of '", to_text('health.health_score')
        ]) }} as detail
    from facts
    inner join health
        on health.account_id = facts.account_id
        and health.week_start = facts.week_start
    where facts.highest_nps_this_week >= {{ p % 'promoter_green' }}
      and health.health_band = 'green'
),

-- contraction, adoption ahead of renewal, the bill (issue 30): computed in int_account_early_warnings
early as (
    select account_id, week_start, rule, detail from early_warnings
),

fired as (
    select * from logins_falling
    union all select * from usage_down_tickets_up
    union all select * from low_adoption_day_30
    union all select * from invoice_overdue
    union all select * from people_left
    union all select * from nps_detractor
    union all select * from turned_red
    union all select * from health_dropped
    union all select * from stalled_onboarding
    union all select * from seats_nearly_full
    union all select * from promoter_green
    union all select * from early
),

held as (
    {{ held_back_firings('fired', 'rule') }}
),

final as (
    select
        fired.account_id,
        fired.week_start,
        params.signal_type,
        fired.rule,
        params.severity,
        fired.detail,
        held.held_back_reason is not null as is_held_back,
        held.held_back_reason
    from fired
    inner join params
        on params.rule = fired.rule
    left join held
        on held.account_id = fired.account_id
        and held.week_start = fired.week_start
        and held.rule = fired.rule
)

select * from final
