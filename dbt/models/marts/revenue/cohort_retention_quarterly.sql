{#- Retention of each first-MRR quarter cohort by quarter offset k (k = 0 is the
    cohort quarter), the executive's view beside the monthly cohort_retention.
    Each quarter is read at its last month (the as-of month while it is not over);
    the base is each account's MRR in its own first month, as in cohort_retention,
    so revenue retention may exceed 1 and gross revenue retention caps each
    account at that first month's MRR. -#}
with

account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

month_zero as (
    select
        account_id,
        mrr as month0_mrr,
        cast({{ dbt.date_trunc('quarter', 'cohort_month') }} as date) as cohort_quarter
    from account_mrr
    where month = cohort_month
),

{#- the month each quarter is read at: its last month, or the as-of month -#}
quarters as (
    select
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter,
        max(month_start) as measured_month,
        min(case when is_complete then 1 else 0 end) = 1 as is_complete
    from months
    group by cast({{ dbt.date_trunc('quarter', 'month_start') }} as date)
),

offsets as (
    select
        month_zero.cohort_quarter,
        cast({{ dbt.datediff('month_zero.cohort_quarter', 'quarters.quarter', 'month') }} / 3 as integer)
            as quarter_offset,
        quarters.quarter,
        quarters.measured_month,
        month_zero.account_id,
        coalesce(account_mrr.mrr, 0) as mrr,
        month_zero.month0_mrr,
        quarters.is_complete
    from month_zero
    inner join quarters
        on quarters.quarter >= month_zero.cohort_quarter
    left join account_mrr
        on account_mrr.account_id = month_zero.account_id
        and account_mrr.month = quarters.measured_month
),

aggregated as (
    select
        cohort_quarter,
        quarter_offset,
        quarter,
        measured_month,
        count(*) as cohort_accounts,
        count(case when mrr > 0 then 1 end) as active_accounts,
        sum(month0_mrr) as cohort_starting_mrr,
        sum(mrr) as mrr,
        sum(case when mrr < month0_mrr then mrr else month0_mrr end) as capped_mrr,
        is_complete
    from offsets
    group by cohort_quarter, quarter_offset, quarter, measured_month, is_complete
),

final as (
    select
        cohort_quarter,
        quarter_offset,
        quarter,
        measured_month,
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
