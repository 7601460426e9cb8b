{#- MRR movements per account and month, comparing the previous month's MRR
    (starting) with this month's (ending). Exactly one movement is non-zero,
    so starting + new + reactivation + expansion - contraction - churned = ending.

    Reported movements compare books converted at two different months' rates,
    so a foreign-currency contract that never changed moves every month. The
    constant-currency (cc_) movements value last month's contracts and this
    month's at this month's rate: the rate of the month in which any contract
    change took effect. The change of contract is the movement; revaluing last
    month's book from last month's rate to this month's is fx_adjustment_mrr:
    starting + new + reactivation + cc_expansion - cc_contraction - cc_churned
    + fx_adjustment = ending, exactly. New and reactivation are the same in
    both views (there is no starting book to revalue). -#}
with

account_mrr as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

lagged as (
    select
        account_id,
        month,
        cohort_month,
        is_complete,
        coalesce(lag(mrr) over (partition by account_id order by month), 0) as starting_mrr,
        -- last month's contracts at this month's rate; null only when a rate is missing
        coalesce(
            lag(mrr_at_next_month_rate) over (partition by account_id order by month),
            case when lag(month) over (partition by account_id order by month) is null then 0 end
        ) as starting_mrr_at_month_rate,
        mrr as ending_mrr,
        lag(service_tier) over (partition by account_id order by month) as starting_tier,
        service_tier as ending_tier
    from account_mrr
),

classified as (
    select
        account_id,
        month,
        starting_mrr,
        case when starting_mrr = 0 and ending_mrr > 0 and month = cohort_month then ending_mrr else 0 end as new_mrr,
        case when starting_mrr = 0 and ending_mrr > 0 and month > cohort_month then ending_mrr else 0 end as reactivation_mrr,
        {{ mrr_movements_against('starting_mrr') }},
        ending_mrr,
        -- segment at the start of the period; accounts arriving this month by where they land
        case when starting_mrr > 0 then starting_tier else ending_tier end as service_tier,
        is_complete,
        starting_mrr_at_month_rate - starting_mrr as fx_adjustment_mrr,
        {{ mrr_movements_against('starting_mrr_at_month_rate', prefix='cc_') }}
    from lagged
),

final as (
    select
        account_id,
        month,
        cast(starting_mrr as decimal(18, 2)) as starting_mrr,
        cast(new_mrr as decimal(18, 2)) as new_mrr,
        cast(reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
        cast(expansion_mrr as decimal(18, 2)) as expansion_mrr,
        cast(contraction_mrr as decimal(18, 2)) as contraction_mrr,
        cast(churned_mrr as decimal(18, 2)) as churned_mrr,
        cast(ending_mrr as decimal(18, 2)) as ending_mrr,
        movement_type,
        service_tier,
        is_complete,
        cast(fx_adjustment_mrr as decimal(18, 2)) as fx_adjustment_mrr,
        cast(cc_expansion_mrr as decimal(18, 2)) as cc_expansion_mrr,
        cast(cc_contraction_mrr as decimal(18, 2)) as cc_contraction_mrr,
        cast(cc_churned_mrr as decimal(18, 2)) as cc_churned_mrr,
        cc_movement_type
    from classified
)

select * from final
