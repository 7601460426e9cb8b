{#- When each account first did what onboarding is measured by (from the product events, to the
    day): its first login, the day each core feature and each user was first seen. Incremental:
    a run reads only the events accepted since the last one and keeps the earlier of the two days
    (a late event can only move a first use earlier), so a daily run does not rescan every event. -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key=['account_id', 'kind', 'seen'],
    incremental_strategy=keyed_incremental_strategy(),
) }}

with

events as (
    select account_id, user_id, event_name, occurred_on, accepted_at
    from {{ ref('stg_product__events') }}
    {% if is_incremental() %}
    where accepted_at > (select max(accepted_at) from {{ this }})
    {% endif %}
),

features as (
    select feature_name from {{ ref('stg_product__features') }} where is_core
),

first_seen as (
    select
        events.account_id,
        'core_feature' as kind,
        events.event_name as seen,
        min(events.occurred_on) as first_on,
        max(events.accepted_at) as accepted_at
    from events
    inner join features
        on features.feature_name = events.event_name
    group by events.account_id, events.event_name

    union all

    select account_id, 'user' as kind, user_id as seen, min(occurred_on) as first_on, max(accepted_at) as accepted_at
    from events
    group by account_id, user_id

    union all

    select account_id, 'login' as kind, 'login' as seen, min(occurred_on) as first_on, max(accepted_at) as accepted_at
    from events
    where event_name = 'login'
    group by account_id
),

final as (
    {% if is_incremental() %}
    select
        first_seen.account_id,
        first_seen.kind,
        first_seen.seen,
        case
            when earlier.first_on is not null and earlier.first_on < first_seen.first_on then earlier.first_on
            else first_seen.first_on
        end as first_on,
        first_seen.accepted_at
    from first_seen
    left join {{ this }} as earlier
        on earlier.account_id = first_seen.account_id
        and earlier.kind = first_seen.kind
        and earlier.seen = first_seen.seen
    {% else %}
    select * from first_seen
    {% endif %}
)

select * from final
