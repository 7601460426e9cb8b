{#- When each account started: its first subscription's start (trial included). One row per account;
    the weekly grain (days since start) and onboarding (the onboarding window) read it here. -#}
with

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

final as (
    select
        account_id,
        min(started_at) as started_at,
        cast(min(started_at) as date) as started_on
    from versions
    group by account_id
)

select * from final
