{#- The SaaS metrics leadership reads, per month and service tier (plus 'all'), from the MRR
    waterfall of mrr_summary_monthly: MRR, ARR, paying accounts, ARPA, the movements, logo and
    MRR churn rates, expansion rate, quick ratio, their trailing-twelve-month versions and a
    simple LTV, and the constant-currency movements and rates (cc_), whose base is the starting
    book at the month's rate (starting_mrr + fx_adjustment_mrr). Formulas and worked examples:
    docs/metrics.md. Rows whose rates rest on few accounts, and quick ratios over
    almost no loss, are flagged (seed low_base_settings; docs/metrics.md, "Fragile ratios"). -#}
{%- set ttm = "over (partition by service_tier order by month rows between 11 preceding and current row)" -%}
with

summary as (
    select * from {{ ref('mrr_summary_monthly') }}
),

settings as (
    select * from {{ ref('low_base_settings') }}
),

windowed as (
    select
        summary.*,
        count(*) {{ ttm }} as months_in_window,
        sum(starting_mrr) {{ ttm }} as starting_mrr_ttm,
        sum(new_mrr) {{ ttm }} as new_mrr_ttm,
        sum(reactivation_mrr) {{ ttm }} as reactivation_mrr_ttm,
        sum(expansion_mrr) {{ ttm }} as expansion_mrr_ttm,
        sum(contraction_mrr) {{ ttm }} as contraction_mrr_ttm,
        sum(churned_mrr) {{ ttm }} as churned_mrr_ttm,
        sum(starting_accounts) {{ ttm }} as starting_accounts_ttm,
        sum(churned_accounts) {{ ttm }} as churned_accounts_ttm,
        sum(cc_expansion_mrr) {{ ttm }} as cc_expansion_mrr_ttm,
        sum(cc_contraction_mrr) {{ ttm }} as cc_contraction_mrr_ttm,
        sum(cc_churned_mrr) {{ ttm }} as cc_churned_mrr_ttm
    from summary
),

final as (
    select
        month,
        service_tier,
        ending_mrr as mrr,
        cast(12 * ending_mrr as decimal(18, 2)) as arr,
        active_accounts as paying_accounts,
        starting_accounts,
        churned_accounts,
        {{ divide_money('ending_mrr', 'active_accounts') }} as arpa,
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
            {{ divide_money('ending_mrr * starting_accounts_ttm', 'active_accounts * churned_accounts_ttm') }}
        end as ltv,
        is_complete,
        fx_adjustment_mrr,
        cc_expansion_mrr,
        cc_contraction_mrr,
        cc_churned_mrr,
        {{ ratio('cc_contraction_mrr + cc_churned_mrr', 'starting_mrr + fx_adjustment_mrr') }}
            as cc_gross_mrr_churn_rate,
        {{ signed_ratio('cc_contraction_mrr + cc_churned_mrr - cc_expansion_mrr - reactivation_mrr',
                        'starting_mrr + fx_adjustment_mrr') }} as cc_net_mrr_churn_rate,
        {{ ratio('cc_expansion_mrr', 'starting_mrr + fx_adjustment_mrr') }} as cc_expansion_rate,
        {{ ratio('new_mrr + cc_expansion_mrr + reactivation_mrr', 'cc_contraction_mrr + cc_churned_mrr') }}
            as cc_quick_ratio,
        case when months_in_window = 12 then
            {{ ratio('new_mrr_ttm + cc_expansion_mrr_ttm + reactivation_mrr_ttm',
                     'cc_contraction_mrr_ttm + cc_churned_mrr_ttm') }} end as cc_quick_ratio_ttm,
        starting_accounts < min_base_accounts as is_low_base,
        contraction_mrr + churned_mrr < min_loss_share * starting_mrr as is_quick_ratio_low_base,
        reactivated_accounts
    from windowed
    cross join settings
)

select * from final
