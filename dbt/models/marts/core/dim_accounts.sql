{#- One row per account known to the CRM, with its revenue position at the
    as-of date and its latest weekly health score. -#}
with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

csms as (
    select * from {{ ref('stg_crm__csms') }}
),

current_month as (
    select *
    from {{ ref('int_account_mrr_monthly') }}
    where month = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
),

tiers as (
    select * from {{ ref('service_tiers') }}
),

latest_health as (
    select account_id, health_score, health_band
    from (
        select account_id, week_start, health_score, health_band,
               row_number() over (partition by account_id order by week_start desc) as recency
        from {{ ref('account_health_weekly') }}
    ) as ranked
    where recency = 1
      -- a former customer's last score is history, not its health today
      and week_start = (select max(week_start) from {{ ref('int_weeks') }})
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.region,
        accounts.employee_band,
        accounts.csm_id,
        csms.csm_name,
        accounts.created_at,
        current_month.cohort_month,
        coalesce(current_month.service_tier, lowest_tier.service_tier) as service_tier,
        current_month.plan as current_plan,
        cast(coalesce(current_month.mrr, 0) as decimal(18, 2)) as current_mrr,
        cast(coalesce(current_month.arr, 0) as decimal(18, 2)) as current_arr,
        current_month.seats as licensed_seats,
        latest_health.health_score,
        latest_health.health_band,
        coalesce(current_month.mrr, 0) > 0 as is_active
    from accounts
    left join csms
        on csms.csm_id = accounts.csm_id
    left join current_month
        on current_month.account_id = accounts.account_id
    left join latest_health
        on latest_health.account_id = accounts.account_id
    cross join (select service_tier from tiers where min_arr_usd = 0) as lowest_tier
)

select * from final
