{#- Subscriptions whose current term ends within 90 days of the as-of date
    (int_subscription_renewals: terms run from started_at in steps of the
    billing interval, so monthly plans always appear in the 30-day window):
    `renewal_kind` tells a contract renewal (a committed term longer than a
    month: quarterly, a year, two) from a monthly rollover, which renews by
    itself unless cancelled and is what a CS leader does not plan renewal
    work on. -#}
with

renewals as (
    select * from {{ ref('int_subscription_renewals') }}
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

probabilities as (
    select * from {{ ref('account_churn_probability') }}
),

base as (
    select max(base_rate) as base_rate from probabilities
),

final as (
    select
        renewals.subscription_id,
        renewals.account_id,
        renewals.plan,
        renewals.billing_interval,
        renewals.renewal_date,
        renewals.days_to_renewal,
        case
            when renewals.days_to_renewal <= 30 then 30
            when renewals.days_to_renewal <= 60 then 60
            else 90
        end as renewal_window,
        renewals.arr,
        renewals.is_cancellation_scheduled,
        current_health.health_band,
        coalesce(current_health.open_alerts, 0) as open_alerts,
        accounts.csm_id,
        case when renewals.interval_months > 1 then 'contract' else 'monthly_rollover' end as renewal_kind,
        renewals.interval_months > 1 as is_contract_renewal,
        accounts.account_name,
        csms.csm_name,
        current_health.health_score,
        {{ renewal_loss_probability('renewals.days_to_renewal',
                                    'coalesce(probabilities.churn_probability, base.base_rate)',
                                    'renewals.is_cancellation_scheduled') }} as loss_probability,
        cast(round(renewals.arr * (1 - {{ renewal_loss_probability('renewals.days_to_renewal',
            'coalesce(probabilities.churn_probability, base.base_rate)', 'renewals.is_cancellation_scheduled') }}), 2)
            as decimal(18, 2)) as expected_renewed_arr
    from renewals
    cross join base
    left join probabilities on probabilities.account_id = renewals.account_id
    left join current_health on current_health.account_id = renewals.account_id
    left join accounts on accounts.account_id = renewals.account_id
    left join csms on csms.csm_id = accounts.csm_id
    where renewals.days_to_renewal <= 90
)

select * from final
