{#- Every change of an active subscription's contract against the version before it, in the
    subscription's own currency (an FX move is not a change): a **cut** (its monthly amount fell: fewer
    seats, a cheaper plan or a larger discount) and a **price rise** (same plan and seats, a higher unit
    price). `change_share` is the relative change of the monthly amount (cuts) or of the unit price
    (price rises). Read by the contraction and price-rise early warnings (int_account_early_warnings)
    and by the churn-kind classification (int_churn_kinds). -#}
with

versions as (
    select * from {{ ref('int_subscription_versions') }}
),

paired as (
    select
        account_id,
        subscription_id,
        valid_from as changed_at,
        subscription_status,
        plan,
        seats,
        unit_amount_minor,
        monthly_amount_minor,
        lag(subscription_status) over (partition by subscription_id order by valid_from) as previous_status,
        lag(plan) over (partition by subscription_id order by valid_from) as previous_plan,
        lag(seats) over (partition by subscription_id order by valid_from) as previous_seats,
        lag(unit_amount_minor) over (partition by subscription_id order by valid_from) as previous_unit_amount_minor,
        lag(monthly_amount_minor) over (partition by subscription_id order by valid_from) as previous_monthly_amount_minor
    from versions
),

final as (
    select
        account_id,
        subscription_id,
        changed_at,
        case
            when monthly_amount_minor < previous_monthly_amount_minor then 'cut'
            else 'price_rise'
        end as change_kind,
        previous_seats,
        seats,
        previous_monthly_amount_minor,
        monthly_amount_minor,
        case
            when monthly_amount_minor < previous_monthly_amount_minor
                then 1 - cast(monthly_amount_minor as {{ dbt.type_float() }}) / previous_monthly_amount_minor
            else cast(unit_amount_minor as {{ dbt.type_float() }}) / previous_unit_amount_minor - 1
        end as change_share
    from paired
    where subscription_status = 'active'
      and previous_status = 'active'
      and previous_monthly_amount_minor > 0
      and (
          monthly_amount_minor < previous_monthly_amount_minor
          or (plan = previous_plan and seats = previous_seats and unit_amount_minor > previous_unit_amount_minor)
      )
)

select * from final
