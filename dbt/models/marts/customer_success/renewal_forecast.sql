{#- Expected renewed ARR for the renewals due within 30, 60, 90 and 180 days of the as-of date
    (cumulative windows), overall and by renewal kind, service tier, CSM and renewal month, with a 90%
    interval. Each subscription renews with probability 1 - q: q is its account's churn probability
    (account_churn_probability: churn or a loss of at least loss_share within 90 days) for a renewal
    within 90 days, 1 - (1 - q)^2 beyond (two 90-day periods), and 1 for a cancellation already
    scheduled. A loss counts the whole ARR (the outcome is "at least half lost", so this leans low).
    The interval treats renewals as independent: expected +/- 1.645 x sqrt(sum ARR^2 q (1 - q)), within
    0 and the renewing ARR. How the probabilities did in ARR: renewal_forecast_backtest. -#}
with

renewals as (
    select * from {{ ref('int_subscription_renewals') }}
    where days_to_renewal <= 180
),

probabilities as (
    select * from {{ ref('account_churn_probability') }}
),

tiers as (
    select * from {{ ref('int_account_current_tier') }}
),

accounts as (
    select account_id, csm_id from {{ ref('stg_crm__accounts') }}
),

csms as (
    select csm_id, csm_name from {{ ref('stg_crm__csms') }}
),

base as (
    select max(base_rate) as base_rate from probabilities
),

windows as (
    select 30 as horizon_days
    union all select 60
    union all select 90
    union all select 180
),

scored as (
    select
        renewals.subscription_id,
        renewals.days_to_renewal,
        renewals.arr,
        case when renewals.interval_months > 1 then 'contract' else 'monthly_rollover' end as renewal_kind,
        coalesce(tiers.service_tier, 'unknown') as service_tier,
        coalesce(csms.csm_name, 'unassigned') as csm_name,
        cast({{ dbt.date_trunc('month', 'renewals.renewal_date') }} as date) as renewal_month,
        {{ renewal_loss_probability('renewals.days_to_renewal',
                                    'coalesce(probabilities.churn_probability, base.base_rate)',
                                    'renewals.is_cancellation_scheduled') }} as loss_probability
    from renewals
    cross join base
    left join probabilities on probabilities.account_id = renewals.account_id
    left join tiers on tiers.account_id = renewals.account_id
    left join accounts on accounts.account_id = renewals.account_id
    left join csms on csms.csm_id = accounts.csm_id
),

in_window as (
    select windows.horizon_days, scored.*
    from scored
    inner join windows
        on scored.days_to_renewal <= windows.horizon_days
),

segmented as (
    select horizon_days, 'all' as segment_type, 'all' as segment, arr, loss_probability from in_window
    union all
    select horizon_days, 'renewal_kind', renewal_kind, arr, loss_probability from in_window
    union all
    select horizon_days, 'service_tier', service_tier, arr, loss_probability from in_window
    union all
    select horizon_days, 'csm', csm_name, arr, loss_probability from in_window
    union all
    select horizon_days, 'renewal_month', {{ to_text('renewal_month') }}, arr, loss_probability from in_window
),

aggregated as (
    select
        horizon_days,
        segment_type,
        segment,
        count(*) as renewals,
        sum(arr) as renewing_arr,
        sum(arr * loss_probability) as expected_lost_arr,
        sum(cast(arr as double) * cast(arr as double) * cast(loss_probability as double)
            * cast(1 - loss_probability as double)) as loss_variance
    from segmented
    group by horizon_days, segment_type, segment
),

with_interval as (
    select
        aggregated.*,
        renewing_arr - expected_lost_arr as expected_renewed_arr,
        1.645 * sqrt(cast(loss_variance as double)) as half_width
    from aggregated
),

final as (
    select
        horizon_days,
        segment_type,
        segment,
        renewals,
        cast(renewing_arr as decimal(18, 2)) as renewing_arr,
        cast(round(expected_renewed_arr, 2) as decimal(18, 2)) as expected_renewed_arr,
        cast(round(case when expected_renewed_arr - half_width < 0 then 0 else expected_renewed_arr - half_width end, 2)
             as decimal(18, 2)) as renewed_arr_low,
        cast(round(case when expected_renewed_arr + half_width > renewing_arr then renewing_arr
                        else expected_renewed_arr + half_width end, 2) as decimal(18, 2)) as renewed_arr_high,
        {{ ratio('round(expected_renewed_arr, 2)', 'renewing_arr') }} as expected_renewal_rate
    from with_interval
)

select * from final
