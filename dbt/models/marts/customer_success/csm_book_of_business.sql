{#- Each CSM's book: the active accounts they own, their ARR by tier, average
    health, ARR in red and open churn-risk alerts, at the as-of date. -#}
with

csms as (
    select * from {{ ref('stg_crm__csms') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
    where is_active
),

current_health as (
    select * from {{ ref('int_account_current_health') }}
),

final as (
    select
        csms.csm_id,
        csms.csm_name,
        count(accounts.account_id) as accounts,
        cast(coalesce(sum(accounts.current_arr), 0) as decimal(18, 2)) as arr,
        count(case when accounts.service_tier = 'high_touch' then 1 end) as high_touch_accounts,
        count(case when accounts.service_tier = 'low_touch' then 1 end) as low_touch_accounts,
        count(case when accounts.service_tier = 'tech_touch' then 1 end) as tech_touch_accounts,
        cast(coalesce(sum(case when accounts.service_tier = 'high_touch' then accounts.current_arr end), 0) as decimal(18, 2)) as high_touch_arr,
        cast(coalesce(sum(case when accounts.service_tier = 'low_touch' then accounts.current_arr end), 0) as decimal(18, 2)) as low_touch_arr,
        cast(coalesce(sum(case when accounts.service_tier = 'tech_touch' then accounts.current_arr end), 0) as decimal(18, 2)) as tech_touch_arr,
        cast(round(avg(accounts.health_score), 1) as decimal(5, 1)) as avg_health_score,
        cast(coalesce(sum(case when accounts.health_band = 'red' then accounts.current_arr end), 0) as decimal(18, 2)) as arr_in_red,
        cast(coalesce(sum(current_health.open_alerts), 0) as integer) as open_alerts
    from csms
    left join accounts
        on accounts.csm_id = csms.csm_id
    left join current_health
        on current_health.account_id = accounts.account_id
    group by csms.csm_id, csms.csm_name
)

select * from final
