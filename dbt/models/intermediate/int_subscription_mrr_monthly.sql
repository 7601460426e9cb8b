{#- MRR per subscription and month: the version in force at the month's
    snapshot instant (end of month; the as-of date for the current month),
    if it is active (trials and cancelled versions are 0), converted to USD at
    that month's rate and rounded to the cent. The same contract is also valued
    at the next month's rate (the starting book of the constant-currency
    waterfall) and at the rate of twelve months earlier (constant-currency
    NRR/GRR), each rounded to the cent per subscription. -#}
with

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

months as (
    select * from {{ ref('int_months') }}
),

in_force as (
    select
        months.month_start,
        versions.subscription_id,
        versions.account_id,
        versions.plan,
        versions.seats,
        versions.currency,
        versions.monthly_amount_minor
    from versions
    inner join months
        on versions.valid_from < months.snapshot_at
        and (versions.valid_to is null or versions.valid_to >= months.snapshot_at)
    where versions.is_recurring_revenue
),

converted as (
    select
        in_force.month_start,
        in_force.subscription_id,
        in_force.account_id,
        in_force.plan,
        in_force.seats,
        in_force.currency,
        fx.usd_per_unit as fx_rate,
        {{ minor_to_usd('in_force.monthly_amount_minor') }} as mrr_usd,
        {{ minor_to_usd('in_force.monthly_amount_minor', 'fx_next') }} as mrr_usd_at_next_month_rate,
        {{ minor_to_usd('in_force.monthly_amount_minor', 'fx_year_before') }} as mrr_usd_at_year_earlier_rate
    from in_force
    {{ fx_join('in_force.currency', 'in_force.month_start') }}
    {{ fx_rate_join('fx_next', 'in_force.currency', dbt.dateadd('month', 1, 'in_force.month_start')) }}
    {{ fx_rate_join('fx_year_before', 'in_force.currency', dbt.dateadd('month', -12, 'in_force.month_start')) }}
)

select * from converted
