{#- Subscriptions whose current term ends within 90 days of the as-of date.
    Terms run from started_at in steps of the billing interval (12 months for
    annual plans, 1 month for monthly ones), so monthly plans always appear in
    the 30-day window: `renewal_kind` tells a contract renewal (a committed term
    longer than a month: quarterly, a year, two) from a monthly rollover, which
    renews by itself unless cancelled and is what a CS leader does not plan
    renewal work on. -#}
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

current_health as (
    select * from {{ ref('int_account_current_health') }}
),

accounts as (
    select account_id, account_name, csm_id from {{ ref('stg_crm__accounts') }}
),

csms as (
    select csm_id, csm_name from {{ ref('stg_crm__csms') }}
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
        renewal_dates.renewal_date,
        {{ dbt.datediff(as_of_date(), 'renewal_dates.renewal_date', 'day') }} as days_to_renewal,
        case
            when {{ dbt.datediff(as_of_date(), 'renewal_dates.renewal_date', 'day') }} <= 30 then 30
            when {{ dbt.datediff(as_of_date(), 'renewal_dates.renewal_date', 'day') }} <= 60 then 60
            else 90
        end as renewal_window,
        cast(12 * coalesce(subscription_mrr.mrr_usd, 0) as decimal(18, 2)) as arr,
        scheduled_cancellations.subscription_id is not null as is_cancellation_scheduled,
        current_health.health_band,
        coalesce(current_health.open_alerts, 0) as open_alerts,
        accounts.csm_id,
        case when renewal_dates.interval_months > 1 then 'contract' else 'monthly_rollover' end as renewal_kind,
        renewal_dates.interval_months > 1 as is_contract_renewal,
        accounts.account_name,
        csms.csm_name,
        current_health.health_score
    from renewal_dates
    left join subscription_mrr on subscription_mrr.subscription_id = renewal_dates.subscription_id
    left join current_health on current_health.account_id = renewal_dates.account_id
    left join accounts on accounts.account_id = renewal_dates.account_id
    left join csms on csms.csm_id = accounts.csm_id
    left join scheduled_cancellations on scheduled_cancellations.subscription_id = renewal_dates.subscription_id
    where {{ dbt.datediff(as_of_date(), 'renewal_dates.renewal_date', 'day') }} <= 90
)

select * from final
