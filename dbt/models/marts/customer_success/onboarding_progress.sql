{#- Onboarding and time to value, one row per account: days from the first subscription start to
    each milestone of the seed onboarding_targets (first login, first core-feature use, 30% and 60%
    core adoption, N active users; targets by service tier) reached within the first
    `onboarding_days` days, and the status as of the as-of date (or day `onboarding_days` for older
    accounts): complete, on_track, late (a milestone past its target), stalled (a milestone past
    `threshold` times its target, the stalled_onboarding rule of alert_rules: 2). is_onboarding marks the accounts still in their first days. -#}
with

milestones as (
    select * from {{ ref('int_account_onboarding_milestones') }}
),

stall_factor as (
    select threshold from {{ ref('alert_rules') }} where rule = 'stalled_onboarding'
),

judged as (
    select
        milestones.*,
        {{ dbt.datediff('milestones.started_on', as_of_date(), 'day') }} as days_since_start,
        case
            when {{ dbt.datediff('milestones.started_on', as_of_date(), 'day') }} > {{ var('onboarding_days') }}
                then {{ var('onboarding_days') }}
            else {{ dbt.datediff('milestones.started_on', as_of_date(), 'day') }}
        end as days_judged
    from milestones
),

milestone_status as (
    select
        judged.*,
        case
            when days_to_reach is not null then 'reached'
            when days_judged > (select threshold from stall_factor) * target_days then 'stalled'
            when days_judged > target_days then 'late'
            else 'due'
        end as milestone_status
    from judged
),

final as (
    select
        account_id,
        max(service_tier) as service_tier,
        max(started_on) as started_on,
        max(days_since_start) as days_since_start,
        max(days_since_start) <= {{ var('onboarding_days') }} as is_onboarding,
        max(case when milestone = 'first_login' then days_to_reach end) as days_to_first_login,
        max(case when milestone = 'first_core_use' then days_to_reach end) as days_to_first_core_use,
        max(case when milestone = 'core_adoption_30' then days_to_reach end) as days_to_30pct_adoption,
        max(case when milestone = 'core_adoption_60' then days_to_reach end) as days_to_60pct_adoption,
        max(case when milestone = 'active_users' then days_to_reach end) as days_to_active_users,
        max(case when milestone = 'active_users' then required_count end) as active_users_target,
        sum(case when milestone_status = 'reached' then 1 else 0 end) as milestones_reached,
        count(*) as milestones,
        case
            when sum(case when milestone_status = 'reached' then 0 else 1 end) = 0 then 'complete'
            when sum(case when milestone_status = 'stalled' then 1 else 0 end) > 0 then 'stalled'
            when sum(case when milestone_status = 'late' then 1 else 0 end) > 0 then 'late'
            else 'on_track'
        end as onboarding_status,
        -- the first milestone not reached, by its target: what the CSM works on next
        min(case when milestone_status <> 'reached' then {{ dbt.concat(["lpad(" ~ dbt.safe_cast('target_days', dbt.type_string()) ~ ", 4, '0')", "' '", 'milestone']) }} end)
            as next_milestone_key
    from milestone_status
    group by account_id
)

select
    account_id,
    service_tier,
    started_on,
    days_since_start,
    is_onboarding,
    days_to_first_login,
    days_to_first_core_use,
    days_to_30pct_adoption,
    days_to_60pct_adoption,
    days_to_active_users,
    active_users_target,
    milestones_reached,
    milestones,
    onboarding_status,
    {{ dbt.split_part('next_milestone_key', "' '", 2) }} as next_milestone
from final
