-- The as-of month's MRR agrees across dim_accounts, mrr_movements and the summary.
with

dim as (
    select sum(current_mrr) as mrr from {{ ref('dim_accounts') }}
),

movements as (
    select sum(ending_mrr) as mrr
    from {{ ref('mrr_movements') }}
    where month = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
),

summary as (
    select ending_mrr as mrr
    from {{ ref('mrr_summary_monthly') }}
    where service_tier = 'all'
      and month = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
)

select dim.mrr as dim_mrr, movements.mrr as movements_mrr, summary.mrr as summary_mrr
from dim
cross join movements
cross join summary
where dim.mrr <> movements.mrr or movements.mrr <> summary.mrr
