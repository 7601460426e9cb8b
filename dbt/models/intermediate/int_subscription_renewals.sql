{#- Every active subscription's next renewal date after the as-of date, its ARR now and whether a
    cancellation is already scheduled: terms run from started_at in steps of the billing interval (12
    months for annual plans, 1 month for monthly ones). renewal_pipeline (90 days) and renewal_forecast
    (180 days) read it. -#}
with

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

current_versions as (
    select *
    from versions
    where subscription_status = 'active'
      and valid_from < cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
      and (valid_to is null or valid_to >= cast({{ as_of_date() }} as {{ dbt.type_timestamp() }}))
),

terms as (
    select
        current_versions.*,
        cast(floor({{ dbt.datediff('started_at', as_of_date(), 'month') }} / interval_months) as integer) as terms_elapsed
    from current_versions
),

renewal_dates as (
    select
        terms.*,
        case
            when cast({{ dbt.dateadd('month', 'terms_elapsed * interval_months', 'started_at') }} as date) > {{ as_of_date() }}
                then cast({{ dbt.dateadd('month', 'terms_elapsed * interval_months', 'started_at') }} as date)
            else cast({{ dbt.dateadd('month', '(terms_elapsed + 1) * interval_months', 'started_at') }} as date)
        end as renewal_date
    from terms
),

subscription_mrr as (
    select subscription_id, mrr_usd
    from {{ ref('int_subscription_mrr_monthly') }}
    where month_start = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
),

scheduled_cancellations as (
    select distinct subscription_id
    from versions
    where subscription_status = 'canceled'
      and valid_from >= cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
),

final as (
    select
        renewal_dates.subscription_id,
        renewal_dates.account_id,
        renewal_dates.plan,
        renewal_dates.billing_interval,
        renewal_dates.interval_months,
        renewal_dates.renewal_date,
        {{ dbt.datediff(as_of_date(), 'renewal_dates.renewal_date', 'day') }} as days_to_renewal,
        cast(12 * coalesce(subscription_mrr.mrr_usd, 0) as decimal(18, 2)) as arr,
        scheduled_cancellations.subscription_id is not null as is_cancellation_scheduled
    from renewal_dates
    left join subscription_mrr on subscription_mrr.subscription_id = renewal_dates.subscription_id
    left join scheduled_cancellations on scheduled_cancellations.subscription_id = renewal_dates.subscription_id
)

select * from final
