{#- When each account first did what onboarding is measured by (from the product events, to the
    day): its first login, its first use of any core feature, the day each core feature and each
    user was first seen, numbered in order (the 2nd core feature's day is when 2 were in use). -#}
with

events as (
    select account_id, user_id, event_name, occurred_on from {{ ref('stg_product__events') }}
),

features as (
    select feature_name from {{ ref('stg_product__features') }} where is_core
),

first_core_use as (
    select events.account_id, events.event_name as seen, min(events.occurred_on) as first_on
    from events
    inner join features
        on features.feature_name = events.event_name
    group by events.account_id, events.event_name
),

first_user_seen as (
    select account_id, user_id as seen, min(occurred_on) as first_on
    from events
    group by account_id, user_id
),

first_login as (
    select account_id, min(occurred_on) as first_on
    from events
    where event_name = 'login'
    group by account_id
),

final as (
    select
        account_id,
        'core_feature' as kind,
        seen,
        first_on,
        row_number() over (partition by account_id order by first_on, seen) as nth
    from first_core_use
    union all
    select
        account_id,
        'user' as kind,
        seen,
        first_on,
        row_number() over (partition by account_id order by first_on, seen) as nth
    from first_user_seen
    union all
    select account_id, 'login' as kind, 'login' as seen, first_on, 1 as nth
    from first_login
)

select * from final
