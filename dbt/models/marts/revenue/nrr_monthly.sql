{#- Trailing-twelve-month net and gross revenue retention. The base is every
    account with MRR > 0 twelve months before `month`; segments (service tier,
    region, plan) are taken at that base month, so an account is judged against
    the group it started in. The constant-currency columns (cc_) value the
    current month's contracts at the base month's rates, the usual definition
    of constant-currency growth (this period at the prior period's rates), so
    only contract changes move cc_nrr and cc_grr. Each row also says how fragile
    it is (seed low_base_settings): the account whose MRR changed most, its share
    of all account-level change and NRR without it, and is_low_base. -#}
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

settings as (
    select * from {{ ref('low_base_settings') }}
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

{#- the largest single change (in absolute value; ties to the lowest account_id) -#}
ranked_changes as (
    select
        month,
        segment_type,
        segment,
        account_id,
        base_mrr,
        current_mrr,
        row_number() over (
            partition by month, segment_type, segment
            order by abs(current_mrr - base_mrr) desc, account_id
        ) as change_rank
    from segmented
),

top_account as (
    select
        month as top_month,
        segment_type as top_segment_type,
        segment as top_segment,
        account_id as top_account_id,
        base_mrr as top_base_mrr,
        current_mrr as top_current_mrr
    from ranked_changes
    where change_rank = 1
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
        sum(abs(current_mrr - base_mrr)) as absolute_change_mrr,
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
        {{ ratio('cc_capped_current_mrr', 'base_mrr') }} as cc_grr,
        cast(current_mrr - cc_current_mrr as decimal(18, 2)) as fx_effect_mrr,
        case when absolute_change_mrr > 0 then top_account_id end as top_account_id,
        cast(case when absolute_change_mrr > 0 then top_current_mrr - top_base_mrr end as decimal(18, 2))
            as top_account_change_mrr,
        {{ ratio('abs(top_current_mrr - top_base_mrr)', 'absolute_change_mrr') }} as top_account_change_share,
        case when absolute_change_mrr > 0 then
            {{ ratio('current_mrr - top_current_mrr', 'base_mrr - top_base_mrr') }} end as nrr_excl_top_account,
        base_accounts < min_base_accounts
            or (absolute_change_mrr > 0 and abs(
                {{ ratio('current_mrr', 'base_mrr') }}
                - coalesce({{ ratio('current_mrr - top_current_mrr', 'base_mrr - top_base_mrr') }}, 1)
            ) >= max_top_account_effect) as is_low_base
    from aggregated
    inner join top_account
        on top_account.top_month = aggregated.month
        and top_account.top_segment_type = aggregated.segment_type
        and top_account.top_segment = aggregated.segment
    cross join settings
)

select * from final
