{#- Product activity per account and week: logins, user-days on weekdays (for
    DAU per seat), core-feature events, and which users and core features were
    seen (as distinct rows, so 28-day windows can count distinct values). -#}
{{ config(materialized=keyed_incremental_materialization(), unique_key=['account_id', 'week_start'], incremental_strategy=keyed_incremental_strategy()) }}

with

events as (
    {{ recent_events() }}
),

features as (
    select feature_name from {{ ref('stg_product__features') }} where is_core
),

daily as (
    select
        events.account_id,
        events.occurred_on,
        cast({{ dbt.date_trunc('week', 'events.occurred_on') }} as date) as week_start,
        count(distinct events.user_id) as active_users,
        sum(case when events.event_name = 'login' then 1 else 0 end) as logins,
        sum(case when features.feature_name is not null then 1 else 0 end) as core_events
    from events
    left join features
        on features.feature_name = events.event_name
    group by events.account_id, events.occurred_on
),

weekly as (
    select
        account_id,
        week_start,
        sum(logins) as logins,
        sum(case when {{ is_weekday('occurred_on') }} then active_users else 0 end) as weekday_user_days,
        sum(core_events) as core_events
    from daily
    group by account_id, week_start
)

select * from weekly
