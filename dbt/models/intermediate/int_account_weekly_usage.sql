{#- Product usage per account and week: logins this week, core-feature events over two
    weeks against the two before, distinct users and core features seen in 28 days (the
    four weeks ending with this one), DAU per licensed seat and core adoption.
    Restated by window (macros/restate_from.sql): an incremental build rebuilds the weeks from
    restate_from() on, reading the 4 weeks before them (the 28-day look-back). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_restated_weeks() }}",
) }}

{%- set from_week = restated_from_week() %}

with

weeks as (
    select * from {{ ref('int_weeks') }}
),

activity as (
    select * from {{ ref('int_account_weekly_activity') }}
    {%- if from_week %}
    where week_start >= cast({{ dbt.dateadd('day', -28, from_week) }} as date)
    {%- endif %}
),

seen as (
    select * from {{ ref('int_account_weekly_seen') }}
    {%- if from_week %}
    where week_start >= cast({{ dbt.dateadd('day', -28, from_week) }} as date)
    {%- endif %}
),

core_feature_count as (
    select count(*) as core_features from {{ ref('stg_product__features') }} where is_core
),

account_weeks as (
    select * from {{ ref('int_account_weeks') }}
    {%- if from_week %}
    where week_start >= {{ from_week }}
    {%- endif %}
),

usage_28d as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        sum(activity.weekday_user_days) as weekday_user_days,
        sum(case when activity.week_start = account_weeks.week_start then activity.logins else 0 end) as logins,
        sum(case when activity.week_start >= cast({{ dbt.dateadd('day', -7, 'account_weeks.week_start') }} as date)
            then activity.core_events else 0 end) as core_events_2w,
        sum(case when activity.week_start < cast({{ dbt.dateadd('day', -7, 'account_weeks.week_start') }} as date)
            then activity.core_events else 0 end) as core_events_prior_2w
    from account_weeks
    inner join activity
        on activity.account_id = account_weeks.account_id
        and activity.week_start <= account_weeks.week_start
        and activity.week_start >= cast({{ dbt.dateadd('day', -21, 'account_weeks.week_start') }} as date)
    group by account_weeks.account_id, account_weeks.week_start
),

weekdays_28d as (
    select
        week_start,
        sum(weekdays) over (order by week_start rows between 3 preceding and current row) as weekdays
    from weeks
),

{#- Distinct users (and core features) seen in the 4 weeks up to each week, without
    joining every week to its 4 weeks of rows: a sighting in week w counts for weeks
    w .. w+3, cut short where the next sighting of the same user takes over, so the
    spans never overlap and a running sum of their starts and ends is the distinct count. -#}
seen_spans as (
    select
        account_id,
        kind,
        week_start,
        least(
            coalesce(
                lead(week_start) over (partition by account_id, kind, seen order by week_start),
                cast({{ dbt.dateadd('day', 28, 'week_start') }} as date)
            ),
            cast({{ dbt.dateadd('day', 28, 'week_start') }} as date)
        ) as counted_until
    from seen
),

seen_changes as (
    select
        account_id,
        week_start,
        sum(case when kind = 'user' then 1 else 0 end) as users_change,
        sum(case when kind = 'core_feature' then 1 else 0 end) as core_features_change
    from seen_spans
    group by account_id, week_start

    union all

    select
        account_id,
        counted_until as week_start,
        -sum(case when kind = 'user' then 1 else 0 end) as users_change,
        -sum(case when kind = 'core_feature' then 1 else 0 end) as core_features_change
    from seen_spans
    group by account_id, counted_until

    union all

    -- a row for every account week, so that each has a running total
    select account_id, week_start, 0 as users_change, 0 as core_features_change
    from account_weeks
),

seen_weekly_changes as (
    select
        account_id,
        week_start,
        sum(users_change) as users_change,
        sum(core_features_change) as core_features_change
    from seen_changes
    group by account_id, week_start
),

seen_28d as (
    select
        account_id,
        week_start,
        sum(users_change) over (
            partition by account_id order by week_start rows between unbounded preceding and current row
        ) as users_active_28d,
        sum(core_features_change) over (
            partition by account_id order by week_start rows between unbounded preceding and current row
        ) as core_features_used_28d
    from seen_weekly_changes
),

final as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        coalesce(usage_28d.logins, 0) as logins,
        coalesce(usage_28d.core_events_2w, 0) as core_events_2w,
        coalesce(usage_28d.core_events_prior_2w, 0) as core_events_prior_2w,
        coalesce(seen_28d.users_active_28d, 0) as users_active_28d,
        {{ ratio('coalesce(usage_28d.weekday_user_days, 0)',
                 'coalesce(weekdays_28d.weekdays, 0) * coalesce(account_weeks.licensed_seats, 0)', 0) }} as dau_per_seat_28d,
        {{ ratio('coalesce(seen_28d.core_features_used_28d, 0)', 'core_feature_count.core_features', 0) }} as core_adoption_28d
    from account_weeks
    cross join core_feature_count
    inner join weekdays_28d
        on weekdays_28d.week_start = account_weeks.week_start
    left join usage_28d on usage_28d.account_id = account_weeks.account_id and usage_28d.week_start = account_weeks.week_start
    left join seen_28d on seen_28d.account_id = account_weeks.account_id and seen_28d.week_start = account_weeks.week_start
)

select * from final
