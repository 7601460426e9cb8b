{#- The MRR waterfall per month and service tier, plus 'all'. Every month from
    the first MRR month to the as-of month and every tier has a row (zeros
    where nothing happened), so BI never has to fill gaps. The constant-
    currency columns (cc_ and fx_adjustment_mrr) sum mrr_movements' own. -#}
with

movements as (
    select * from {{ ref('mrr_movements') }}
),

months as (
    select month_start, is_complete
    from {{ ref('int_months') }}
    where month_start >= (select min(month) from {{ ref('mrr_movements') }})
),

segments as (
    select service_tier from {{ ref('service_tiers') }}
    union all
    select 'all' as service_tier
),

movements_by_segment as (
    select month, service_tier, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr,
           contraction_mrr, churned_mrr, ending_mrr, fx_adjustment_mrr, cc_expansion_mrr,
           cc_contraction_mrr, cc_churned_mrr
    from movements
    union all
    select month, 'all' as service_tier, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr,
           contraction_mrr, churned_mrr, ending_mrr, fx_adjustment_mrr, cc_expansion_mrr,
           cc_contraction_mrr, cc_churned_mrr
    from movements
),

grid as (
    select months.month_start as month, months.is_complete, segments.service_tier
    from months
    cross join segments
),

final as (
    select
        grid.month,
        grid.service_tier,
        cast(coalesce(sum(m.starting_mrr), 0) as decimal(18, 2)) as starting_mrr,
        cast(coalesce(sum(m.new_mrr), 0) as decimal(18, 2)) as new_mrr,
        cast(coalesce(sum(m.reactivation_mrr), 0) as decimal(18, 2)) as reactivation_mrr,
        cast(coalesce(sum(m.expansion_mrr), 0) as decimal(18, 2)) as expansion_mrr,
        cast(coalesce(sum(m.contraction_mrr), 0) as decimal(18, 2)) as contraction_mrr,
        cast(coalesce(sum(m.churned_mrr), 0) as decimal(18, 2)) as churned_mrr,
        cast(coalesce(sum(m.ending_mrr), 0) as decimal(18, 2)) as ending_mrr,
        count(case when m.ending_mrr > 0 then 1 end) as active_accounts,
        count(case when m.new_mrr > 0 then 1 end) as new_accounts,
        count(case when m.churned_mrr > 0 then 1 end) as churned_accounts,
        grid.is_complete,
        count(case when m.starting_mrr > 0 then 1 end) as starting_accounts,
        cast(coalesce(sum(m.fx_adjustment_mrr), 0) as decimal(18, 2)) as fx_adjustment_mrr,
        cast(coalesce(sum(m.cc_expansion_mrr), 0) as decimal(18, 2)) as cc_expansion_mrr,
        cast(coalesce(sum(m.cc_contraction_mrr), 0) as decimal(18, 2)) as cc_contraction_mrr,
        cast(coalesce(sum(m.cc_churned_mrr), 0) as decimal(18, 2)) as cc_churned_mrr,
        count(case when m.expansion_mrr > 0 then 1 end) as expanding_accounts,
        count(case when m.contraction_mrr > 0 then 1 end) as contracting_accounts,
        count(case when m.cc_expansion_mrr > 0 then 1 end) as cc_expanding_accounts,
        count(case when m.cc_contraction_mrr > 0 then 1 end) as cc_contracting_accounts,
        count(case when m.reactivation_mrr > 0 then 1 end) as reactivated_accounts
    from grid
    left join movements_by_segment as m
        on m.month = grid.month
        and m.service_tier = grid.service_tier
    group by grid.month, grid.service_tier, grid.is_complete
)

select * from final
