{#- Retention of each first-MRR cohort by month offset k (k = 0 is the cohort
    month). Revenue retention may exceed 1; gross revenue retention caps each
    account at its month-0 MRR. -#}
with

account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

month_zero as (
    select account_id, mrr as month0_mrr
    from account_mrr
    where month = cohort_month
),

offsets as (
    select
        account_mrr.cohort_month,
        {{ dbt.datediff('account_mrr.cohort_month', 'account_mrr.month', 'month') }} as month_offset,
        account_mrr.month,
        account_mrr.account_id,
        account_mrr.mrr,
        month_zero.month0_mrr,
        account_mrr.is_complete
    from account_mrr
    inner join month_zero
        on month_zero.account_id = account_mrr.account_id
),

aggregated as (
    select
        cohort_month,
        month_offset,
        month,
        count(*) as cohort_accounts,
        count(case when mrr > 0 then 1 end) as active_accounts,
        sum(month0_mrr) as cohort_starting_mrr,
        sum(mrr) as mrr,
        sum(case when mrr < month0_mrr then mrr else month0_mrr end) as capped_mrr,
        is_complete
    from offsets
    group by cohort_month, month_offset, month, is_complete
),

final as (
    select
        cohort_month,
        month_offset,
        month,
        cohort_accounts,
        active_accounts,
        {{ ratio('active_accounts', 'cohort_accounts') }} as logo_retention,
        cast(cohort_starting_mrr as decimal(18, 2)) as cohort_starting_mrr,
        cast(mrr as decimal(18, 2)) as mrr,
        {{ ratio('mrr', 'cohort_starting_mrr') }} as revenue_retention,
        {{ ratio('capped_mrr', 'cohort_starting_mrr') }} as gross_revenue_retention,
        is_complete
    from aggregated
)

select * from final
