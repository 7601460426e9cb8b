-- An account's ending MRR is the next month's starting MRR, with no month skipped;
-- the same holds for the company-wide ('all') waterfall.
with

movements as (
    select
        account_id,
        month,
        starting_mrr,
        lag(ending_mrr) over (partition by account_id order by month) as previous_ending_mrr,
        lag(month) over (partition by account_id order by month) as previous_month
    from {{ ref('mrr_movements') }}
),

summary as (
    select
        month,
        starting_mrr,
        lag(ending_mrr) over (order by month) as previous_ending_mrr,
        lag(month) over (order by month) as previous_month
    from {{ ref('mrr_summary_monthly') }}
    where service_tier = 'all'
)

select account_id, month, starting_mrr, previous_ending_mrr
from movements
where previous_month is not null
  and (starting_mrr <> previous_ending_mrr
       or previous_month <> cast({{ dbt.dateadd('month', -1, 'month') }} as date))

union all

select 'all', month, starting_mrr, previous_ending_mrr
from summary
where previous_month is not null
  and (starting_mrr <> previous_ending_mrr
       or previous_month <> cast({{ dbt.dateadd('month', -1, 'month') }} as date))
