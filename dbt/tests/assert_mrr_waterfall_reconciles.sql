-- starting + new + reactivation + expansion - contraction - churned = ending, exactly,
-- for every account-month and for every month x tier of the summary.
select 'mrr_movements' as model, account_id as grain, month,
       starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churned_mrr, ending_mrr
from {{ ref('mrr_movements') }}
where starting_mrr + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churned_mrr <> ending_mrr

union all

select 'mrr_summary_monthly', service_tier, month,
       starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churned_mrr, ending_mrr
from {{ ref('mrr_summary_monthly') }}
where starting_mrr + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churned_mrr <> ending_mrr
