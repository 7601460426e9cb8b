{#- Product activity per account and week: logins, user-days on weekdays (for DAU per
    seat: the sum over the week's weekdays of the users active that day, which is the sum
    over users of the weekdays each was active), core-feature events. Summed from the users'
    rows of int_account_weekly_seen, which read the events once for both models; restated by window
    over the same weeks (macros/restate_from.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_restated_weeks() }}",
) }}

{%- set from_week = restated_from_week() %}

with

users_seen as (
    select account_id, week_start, logins, core_events, weekdays_active
    from {{ ref('int_account_weekly_seen') }}
    where kind = 'user'
    {%- if from_week %}
    and week_start >= {{ from_week }}
    {%- endif %}
),

weekly as (
    select
        account_id,
        week_start,
        sum(logins) as logins,
        sum(weekdays_active) as weekday_user_days,
        sum(core_events) as core_events
    from users_seen
    group by account_id, week_start
)

select * from weekly
