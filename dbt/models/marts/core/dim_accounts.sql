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

current_tier as (
    select * from {{ ref('int_account_current_tier') }}
),

current_health as (
    select * from {{ ref('int_account_current_health') }}
),

{#- the currency of the account's latest subscription version known at the as-of date -#}
billing_currency as (
    select account_id, currency
    from (
        select
            account_id,
            currency,
            row_number() over (partition by account_id order by valid_from desc, subscription_id desc) as recency
        from {{ ref('int_subscription_versions') }}
        where cast(valid_from as date) <= {{ as_of_date() }}
    ) as versions
    where recency = 1
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
        current_tier.service_tier,
        current_month.plan as current_plan,
        cast(coalesce(current_month.mrr, 0) as decimal(18, 2)) as current_mrr,
        cast(coalesce(current_month.arr, 0) as decimal(18, 2)) as current_arr,
        current_month.seats as licensed_seats,
        current_health.health_score,
        current_health.health_band,
        coalesce(current_month.mrr, 0) > 0 as is_active,
        billing_currency.currency as billing_currency
    from accounts
    left join csms
        on csms.csm_id = accounts.csm_id
    left join current_month
        on current_month.account_id = accounts.account_id
    left join current_health
        on current_health.account_id = accounts.account_id
    left join current_tier
        on current_tier.account_id = accounts.account_id
    left join billing_currency
        on billing_currency.account_id = accounts.account_id
)

select * from final
