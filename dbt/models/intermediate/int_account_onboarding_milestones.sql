{#- Each account's onboarding milestones (seed onboarding_targets, by the account's service tier
    now): the day it reached each within its first `onboarding_days` days (null if not yet, or
    only later), and the target. Adoption milestones need ceil(share x core features) different
    core features; active_users needs target_value different people. -#}
with

current_tier as (
    select * from {{ ref('int_account_current_tier') }}
),

targets as (
    select * from {{ ref('onboarding_targets') }}
),

-- numbered in the order they happened: the 2nd core feature's day is when 2 were in use
first_use as (
    select
        account_id,
        kind,
        first_on,
        row_number() over (partition by account_id, kind order by first_on, seen) as nth
    from {{ ref('int_account_first_use') }}
),

core_feature_count as (
    select count(*) as core_features from {{ ref('stg_product__features') }} where is_core
),

starts as (
    select account_id, started_on from {{ ref('int_account_starts') }}
),

current_tiers as (
    select starts.account_id, starts.started_on, current_tier.service_tier
    from starts
    inner join current_tier
        on current_tier.account_id = starts.account_id
),

milestones as (
    select
        current_tiers.account_id,
        current_tiers.started_on,
        current_tiers.service_tier,
        targets.milestone,
        targets.target_value,
        targets.target_days,
        case
            when targets.milestone in ('core_adoption_30', 'core_adoption_60')
                then cast(ceiling(targets.target_value * core_feature_count.core_features) as integer)
            when targets.milestone = 'active_users' then cast(targets.target_value as integer)
            else 1
        end as required_count,
        case
            when targets.milestone = 'first_login' then 'login'
            when targets.milestone = 'active_users' then 'user'
            else 'core_feature'
        end as kind
    from current_tiers
    cross join core_feature_count
    inner join targets
        on targets.service_tier = current_tiers.service_tier
),

final as (
    select
        milestones.account_id,
        milestones.service_tier,
        milestones.started_on,
        milestones.milestone,
        milestones.target_value,
        milestones.target_days,
        milestones.required_count,
        first_use.first_on as reached_on,
        case
            when first_use.first_on is null then null
            when first_use.first_on < milestones.started_on then 0
            else {{ dbt.datediff('milestones.started_on', 'first_use.first_on', 'day') }}
        end as days_to_reach
    from milestones
    left join first_use
        on first_use.account_id = milestones.account_id
        and first_use.kind = milestones.kind
        and first_use.nth = milestones.required_count
        and first_use.first_on <= cast({{ dbt.dateadd('day', var('onboarding_days'), 'milestones.started_on') }} as date)
)

select * from final
