{#- The grain of the weekly health models: every account and week in which the account
    holds licensed seats (trial included), with the week's snapshot (end of week, or the
    as-of date) every figure is read at. Each component of the score is an int_account_weekly_*
    model on this grain; int_account_weekly_facts puts them side by side. -#}
with

weeks as (
    select * from {{ ref('int_weeks') }}
),

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

seated_weeks as (
    select
        versions.account_id,
        weeks.week_start,
        weeks.snapshot_at,
        weeks.is_complete,
        sum(versions.seats) as licensed_seats
    from versions
    inner join weeks
        on versions.valid_from < weeks.snapshot_at
        and (versions.valid_to is null or versions.valid_to >= weeks.snapshot_at)
    where versions.subscription_status in ('active', 'trialing')
    group by versions.account_id, weeks.week_start, weeks.snapshot_at, weeks.is_complete
),

account_start as (
    select * from {{ ref('int_account_starts') }}
),

final as (
    select
        seated_weeks.account_id,
        seated_weeks.week_start,
        seated_weeks.snapshot_at,
        seated_weeks.is_complete,
        seated_weeks.licensed_seats,
        {{ dbt.datediff('account_start.started_at', 'seated_weeks.snapshot_at', 'day') }} as days_since_start
    from seated_weeks
    left join account_start on account_start.account_id = seated_weeks.account_id
)

select * from final
