{#- MRR movements per account and month, comparing the previous month's MRR
    (starting) with this month's (ending). Exactly one movement is non-zero,
    so starting + new + reactivation + expansion - contraction - churned = ending. -#}
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
        case when starting_mrr > 0 and ending_mrr > starting_mrr then ending_mrr - starting_mrr else 0 end as expansion_mrr,
        case when ending_mrr > 0 and ending_mrr < starting_mrr then starting_mrr - ending_mrr else 0 end as contraction_mrr,
        case when starting_mrr > 0 and ending_mrr = 0 then starting_mrr else 0 end as churned_mrr,
        ending_mrr,
        case
            when starting_mrr = 0 and ending_mrr > 0 and month = cohort_month then 'new'
            when starting_mrr = 0 and ending_mrr > 0 then 'reactivation'
            when starting_mrr > 0 and ending_mrr = 0 then 'churn'
            when ending_mrr > starting_mrr then 'expansion'
            when ending_mrr < starting_mrr then 'contraction'
            when ending_mrr > 0 then 'flat'
            else 'inactive'
        end as movement_type,
        -- segment at the start of the period; accounts arriving this month by where they land
        case when starting_mrr > 0 then starting_tier else ending_tier end as service_tier,
        is_complete
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
        is_complete
    from classified
)

select * from final
