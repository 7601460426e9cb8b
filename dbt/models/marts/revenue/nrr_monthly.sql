{#- Trailing-twelve-month net and gross revenue retention. The base is every
    account with MRR > 0 twelve months before `month`; segments (service tier,
    region, plan) are taken at that base month, so an account is judged against
    the group it started in. The constant-currency columns (cc_) value the
    current month's contracts at the base month's rates, the usual definition
    of constant-currency growth (this period at the prior period's rates), so
    only contract changes move cc_nrr and cc_grr. -#}
with

account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

accounts as (
    select account_id, region from {{ ref('stg_crm__accounts') }}
),

months as (
    select * from {{ ref('int_months') }}
),

base as (
    select
        months.month_start as month,
        months.is_complete,
        base_month.account_id,
        base_month.mrr as base_mrr,
        coalesce(current_month.mrr, 0) as current_mrr,
        coalesce(current_month.mrr_at_year_earlier_rate, 0) as cc_current_mrr,
        base_month.service_tier,
        coalesce(accounts.region, 'unknown') as region,
        coalesce(base_month.plan, 'unknown') as plan
    from account_mrr as base_month
    inner join months
        on months.month_start = cast({{ dbt.dateadd('month', 12, 'base_month.month') }} as date)
    left join account_mrr as current_month
        on current_month.account_id = base_month.account_id
        and current_month.month = months.month_start
    left join accounts
        on accounts.account_id = base_month.account_id
    where base_month.mrr > 0
),

segmented as (
    select month, is_complete, 'all' as segment_type, 'all' as segment, account_id, base_mrr, current_mrr,
           cc_current_mrr
    from base
    union all
    select month, is_complete, 'service_tier', service_tier, account_id, base_mrr, current_mrr, cc_current_mrr
    from base
    union all
    select month, is_complete, 'region', region, account_id, base_mrr, current_mrr, cc_current_mrr from base
    union all
    select month, is_complete, 'plan', plan, account_id, base_mrr, current_mrr, cc_current_mrr from base
),

aggregated as (
    select
        month,
        segment_type,
        segment,
        count(*) as base_accounts,
        sum(base_mrr) as base_mrr,
        sum(current_mrr) as current_mrr,
        sum(case when current_mrr < base_mrr then current_mrr else base_mrr end) as capped_current_mrr,
        count(case when current_mrr > 0 then 1 end) as retained_accounts,
        sum(cc_current_mrr) as cc_current_mrr,
        sum(case when cc_current_mrr < base_mrr then cc_current_mrr else base_mrr end) as cc_capped_current_mrr,
        is_complete
    from segmented
    group by month, segment_type, segment, is_complete
),

final as (
    select
        month,
        segment_type,
        segment,
        base_accounts,
        cast(base_mrr as decimal(18, 2)) as base_mrr,
        cast(current_mrr as decimal(18, 2)) as current_mrr,
        cast(capped_current_mrr as decimal(18, 2)) as capped_current_mrr,
        retained_accounts,
        {{ ratio('current_mrr', 'base_mrr') }} as nrr,
        {{ ratio('capped_current_mrr', 'base_mrr') }} as grr,
        {{ ratio('retained_accounts', 'base_accounts') }} as logo_retention,
        is_complete,
        cast(cc_current_mrr as decimal(18, 2)) as cc_current_mrr,
        cast(cc_capped_current_mrr as decimal(18, 2)) as cc_capped_current_mrr,
        {{ ratio('cc_current_mrr', 'base_mrr') }} as cc_nrr,
        {{ ratio('cc_capped_current_mrr', 'base_mrr') }} as cc_grr
    from aggregated
)

select * from final
