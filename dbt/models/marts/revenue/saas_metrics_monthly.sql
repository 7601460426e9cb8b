{#- The SaaS metrics leadership reads, per month and service tier (plus 'all'), from the MRR
    waterfall (mrr_movements, segmented as in mrr_summary_monthly): MRR, ARR, paying accounts,
    ARPA, the movements, logo and MRR churn rates, expansion rate, quick ratio, their trailing-
    twelve-month versions and a simple LTV. Formulas and worked examples: docs/metrics.md. -#}
{%- set ttm = "over (partition by service_tier order by month rows between 11 preceding and current row)" -%}
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
           contraction_mrr, churned_mrr, ending_mrr
    from movements
    union all
    select month, 'all' as service_tier, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr,
           contraction_mrr, churned_mrr, ending_mrr
    from movements
),

grid as (
    select months.month_start as month, months.is_complete, segments.service_tier
    from months
    cross join segments
),

monthly as (
    select
        grid.month,
        grid.service_tier,
        grid.is_complete,
        cast(coalesce(sum(m.starting_mrr), 0) as decimal(18, 2)) as starting_mrr,
        cast(coalesce(sum(m.new_mrr), 0) as decimal(18, 2)) as new_mrr,
        cast(coalesce(sum(m.reactivation_mrr), 0) as decimal(18, 2)) as reactivation_mrr,
        cast(coalesce(sum(m.expansion_mrr), 0) as decimal(18, 2)) as expansion_mrr,
        cast(coalesce(sum(m.contraction_mrr), 0) as decimal(18, 2)) as contraction_mrr,
        cast(coalesce(sum(m.churned_mrr), 0) as decimal(18, 2)) as churned_mrr,
        cast(coalesce(sum(m.ending_mrr), 0) as decimal(18, 2)) as ending_mrr,
        count(case when m.starting_mrr > 0 then 1 end) as starting_accounts,
        count(case when m.ending_mrr > 0 then 1 end) as paying_accounts,
        count(case when m.churned_mrr > 0 then 1 end) as churned_accounts
    from grid
    left join movements_by_segment as m
        on m.month = grid.month
        and m.service_tier = grid.service_tier
    group by grid.month, grid.service_tier, grid.is_complete
),

windowed as (
    select
        monthly.*,
        count(*) {{ ttm }} as months_in_window,
        sum(starting_mrr) {{ ttm }} as starting_mrr_ttm,
        sum(new_mrr) {{ ttm }} as new_mrr_ttm,
        sum(reactivation_mrr) {{ ttm }} as reactivation_mrr_ttm,
        sum(expansion_mrr) {{ ttm }} as expansion_mrr_ttm,
        sum(contraction_mrr) {{ ttm }} as contraction_mrr_ttm,
        sum(churned_mrr) {{ ttm }} as churned_mrr_ttm,
        sum(starting_accounts) {{ ttm }} as starting_accounts_ttm,
        sum(churned_accounts) {{ ttm }} as churned_accounts_ttm
    from monthly
),

final as (
    select
        month,
        service_tier,
        ending_mrr as mrr,
        cast(12 * ending_mrr as decimal(18, 2)) as arr,
        paying_accounts,
        starting_accounts,
        churned_accounts,
        {{ divide_money('ending_mrr', 'paying_accounts') }} as arpa,
        starting_mrr,
        new_mrr,
        reactivation_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        {{ ratio('churned_accounts', 'starting_accounts') }} as logo_churn_rate,
        {{ ratio('contraction_mrr + churned_mrr', 'starting_mrr') }} as gross_mrr_churn_rate,
        {{ signed_ratio('contraction_mrr + churned_mrr - expansion_mrr - reactivation_mrr', 'starting_mrr') }}
            as net_mrr_churn_rate,
        {{ ratio('expansion_mrr', 'starting_mrr') }} as expansion_rate,
        {{ ratio('new_mrr + expansion_mrr + reactivation_mrr', 'contraction_mrr + churned_mrr') }} as quick_ratio,
        -- trailing twelve months: the sums of twelve months' numerators and denominators (a monthly
        -- rate smoothed over the year); null until twelve months of history exist
        case when months_in_window = 12 then
            {{ ratio('churned_accounts_ttm', 'starting_accounts_ttm') }} end as logo_churn_rate_ttm,
        case when months_in_window = 12 then
            {{ ratio('contraction_mrr_ttm + churned_mrr_ttm', 'starting_mrr_ttm') }} end as gross_mrr_churn_rate_ttm,
        case when months_in_window = 12 then
            {{ signed_ratio('contraction_mrr_ttm + churned_mrr_ttm - expansion_mrr_ttm - reactivation_mrr_ttm',
                            'starting_mrr_ttm') }} end as net_mrr_churn_rate_ttm,
        case when months_in_window = 12 then
            {{ ratio('expansion_mrr_ttm', 'starting_mrr_ttm') }} end as expansion_rate_ttm,
        case when months_in_window = 12 then
            {{ ratio('new_mrr_ttm + expansion_mrr_ttm + reactivation_mrr_ttm',
                     'contraction_mrr_ttm + churned_mrr_ttm') }} end as quick_ratio_ttm,
        -- ARPA / monthly logo churn rate (TTM) = MRR x starting accounts / (paying accounts x churned accounts)
        case when months_in_window = 12 then
            {{ divide_money('ending_mrr * starting_accounts_ttm', 'paying_accounts * churned_accounts_ttm') }}
        end as ltv,
        is_complete
    from windowed
)

select * from final
