{#- Each account's service tier now, for every account of the CRM or of billing: by its MRR in the
    as-of month, the lowest tier when it pays nothing (trial, churned, never subscribed). One rule for
    dim_accounts, the playbooks and the onboarding targets. -#}
with

starts as (
    select account_id from {{ ref('stg_crm__accounts') }}
    union
    select account_id from {{ ref('int_subscription_versions') }}
),

account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
    where month = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
),

lowest_tier as (
    select service_tier from {{ ref('service_tiers') }} where min_arr_usd = 0
),

final as (
    select
        starts.account_id,
        coalesce(account_mrr.service_tier, lowest_tier.service_tier) as service_tier
    from starts
    cross join lowest_tier
    left join account_mrr
        on account_mrr.account_id = starts.account_id
)

select * from final
