{#- One row per account and month from the account's first month with MRR > 0
    (its cohort month) to the as-of month, MRR 0 where nothing was in force,
    with the plan of its largest subscription and its service tier that month,
    and the same contracts valued at the next month's and at the year-earlier
    month's rates (for the constant-currency waterfall and NRR/GRR). -#}
with

subscription_mrr as (
    select * from {{ ref('int_subscription_mrr_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

tiers as (
    select * from {{ ref('service_tiers') }}
),

ranked_subscriptions as (
    select
        account_id,
        month_start,
        mrr_usd,
        mrr_usd_at_next_month_rate,
        mrr_usd_at_year_earlier_rate,
        seats,
        plan,
        row_number() over (
            partition by account_id, month_start order by mrr_usd desc, subscription_id
        ) as size_rank
    from subscription_mrr
),

account_months as (
    select
        account_id,
        month_start,
        sum(mrr_usd) as mrr,
        sum(mrr_usd_at_next_month_rate) as mrr_at_next_month_rate,
        sum(mrr_usd_at_year_earlier_rate) as mrr_at_year_earlier_rate,
        sum(seats) as seats,
        max(case when size_rank = 1 then plan end) as plan
    from ranked_subscriptions
    group by account_id, month_start
),

cohorts as (
    select account_id, min(month_start) as cohort_month
    from account_months
    where mrr > 0
    group by account_id
),

dense as (
    select
        cohorts.account_id,
        cohorts.cohort_month,
        months.month_start,
        months.is_complete,
        {{ money('coalesce(account_months.mrr, 0)') }} as mrr,
        coalesce(account_months.seats, 0) as seats,
        account_months.plan,
        case
            when account_months.account_id is null then 0 else account_months.mrr_at_next_month_rate
        end as mrr_at_next_month_rate,
        case
            when account_months.account_id is null then 0 else account_months.mrr_at_year_earlier_rate
        end as mrr_at_year_earlier_rate
    from cohorts
    inner join months
        on months.month_start >= cohorts.cohort_month
    left join account_months
        on account_months.account_id = cohorts.account_id
        and account_months.month_start = months.month_start
),

tiered as (
    select
        dense.*,
        tiers.service_tier,
        row_number() over (
            partition by dense.account_id, dense.month_start order by tiers.min_arr_usd desc
        ) as tier_rank
    from dense
    left join tiers
        on 12 * dense.mrr >= tiers.min_arr_usd
),

final as (
    select
        account_id,
        month_start as month,
        cohort_month,
        mrr,
        {{ money('12 * mrr') }} as arr,
        seats,
        plan,
        service_tier,
        is_complete,
        cast(mrr_at_next_month_rate as decimal(18, 2)) as mrr_at_next_month_rate,
        cast(mrr_at_year_earlier_rate as decimal(18, 2)) as mrr_at_year_earlier_rate
    from tiered
    where tier_rank = 1
)

select * from final
