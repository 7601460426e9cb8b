{#- MRR per account at every week's snapshot (end of week; the as-of date for the current
    week) from the account's first subscription version on: the active versions in force then,
    in USD at the rate of the snapshot's month, 0 where nothing is active (trial, churned).
    The health backtest reads outcomes from it at a week's resolution, not a month's. -#}
with

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

weeks as (
    select * from {{ ref('int_weeks') }}
),

first_versions as (
    select account_id, min(valid_from) as first_valid_from
    from versions
    group by account_id
),

account_weeks as (
    select
        first_versions.account_id,
        weeks.week_start,
        weeks.snapshot_at,
        weeks.is_complete
    from first_versions
    inner join weeks
        on weeks.snapshot_at > first_versions.first_valid_from
),

in_force as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        versions.currency,
        versions.monthly_amount_minor,
        cast({{ dbt.date_trunc('month', dbt.dateadd('second', -1, 'account_weeks.snapshot_at')) }} as date) as rate_month
    from account_weeks
    inner join versions
        on versions.account_id = account_weeks.account_id
        and versions.valid_from < account_weeks.snapshot_at
        and (versions.valid_to is null or versions.valid_to >= account_weeks.snapshot_at)
    where versions.is_recurring_revenue
),

converted as (
    select
        in_force.account_id,
        in_force.week_start,
        sum({{ minor_to_usd('in_force.monthly_amount_minor') }}) as mrr
    from in_force
    {{ fx_join('in_force.currency', 'in_force.rate_month') }}
    group by in_force.account_id, in_force.week_start
),

final as (
    select
        account_weeks.account_id,
        account_weeks.week_start,
        account_weeks.snapshot_at,
        account_weeks.is_complete,
        cast(coalesce(converted.mrr, 0) as decimal(18, 2)) as mrr
    from account_weeks
    left join converted
        on converted.account_id = account_weeks.account_id
        and converted.week_start = account_weeks.week_start
)

select * from final
