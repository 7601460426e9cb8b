{#- Distinct users and core features seen per account and week, one row each,
    so that rolling windows can count distinct values across weeks. -#}
{{ config(materialized=keyed_incremental_materialization(), unique_key=['account_id', 'week_start', 'kind', 'seen'], incremental_strategy=keyed_incremental_strategy()) }}

with

events as {{ not_materialized() }} (
    {{ recent_events() }}
),

features as (
    select feature_name from {{ ref('stg_product__features') }} where is_core
),

users_seen as (
    select distinct
        account_id,
        cast({{ dbt.date_trunc('week', 'occurred_on') }} as date) as week_start,
        'user' as kind,
        user_id as seen
    from events
),

features_seen as (
    select distinct
        events.account_id,
        cast({{ dbt.date_trunc('week', 'events.occurred_on') }} as date) as week_start,
        'core_feature' as kind,
        events.event_name as seen
    from events
    inner join features
        on features.feature_name = events.event_name
)

select * from users_seen
union all
select * from features_seen
