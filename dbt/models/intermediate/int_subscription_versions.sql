{#- Each subscription version with the instant it stops being in force (the
    next version's effective_at) and its recurring amount normalised to a month,
    in minor units: the recurring amount per billing period (seats x unit price, or the
    source's amount for several items) x (1 - discount) / months per billing period. -#}
with

subscriptions as (
    select * from {{ ref('stg_billing__subscriptions') }}
),

versions as (
    select
        subscription_id,
        account_id,
        plan,
        billing_interval,
        interval_months,
        seats,
        unit_amount_minor,
        currency,
        discount_percent,
        subscription_status,
        started_at,
        effective_at as valid_from,
        lead(effective_at) over (partition by subscription_id order by effective_at) as valid_to,
        lag(seats) over (partition by subscription_id order by effective_at) as previous_seats,
        recurring_amount_minor * (100 - discount_percent) * 0.01 as interval_amount_minor
    from subscriptions
),

final as (
    select
        versions.*,
        interval_amount_minor / interval_months as monthly_amount_minor,
        subscription_status = 'active' as is_recurring_revenue,
        coalesce(seats < previous_seats, false) as is_seat_reduction
    from versions
)

select * from final
