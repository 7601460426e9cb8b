-- The constant-currency waterfall: starting + new + reactivation + cc_expansion - cc_contraction
-- - cc_churned + fx_adjustment = ending, exactly, for every account-month and every month x tier.
-- A null term (a month without a rate in the fx_rates seed) fails too.
select 'mrr_movements' as model, account_id as grain, month,
       starting_mrr, new_mrr, reactivation_mrr, cc_expansion_mrr, cc_contraction_mrr, cc_churned_mrr,
       fx_adjustment_mrr, ending_mrr
from {{ ref('mrr_movements') }}
where coalesce(
    starting_mrr + new_mrr + reactivation_mrr + cc_expansion_mrr - cc_contraction_mrr - cc_churned_mrr
    + fx_adjustment_mrr <> ending_mrr,
    true
)

union all

select 'mrr_summary_monthly', service_tier, month,
       starting_mrr, new_mrr, reactivation_mrr, cc_expansion_mrr, cc_contraction_mrr, cc_churned_mrr,
       fx_adjustment_mrr, ending_mrr
from {{ ref('mrr_summary_monthly') }}
where coalesce(
    starting_mrr + new_mrr + reactivation_mrr + cc_expansion_mrr - cc_contraction_mrr - cc_churned_mrr
    + fx_adjustment_mrr <> ending_mrr,
    true
)
