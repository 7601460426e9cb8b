{#- One row per subscription version; a version is in force from effective_at
    until the next version of the same subscription takes effect. -#}
with

source as (
    select * from {{ source('billing', 'subscriptions') }}
),

latest as (
    {{ latest_version('source', ['subscription_id', 'effective_at']) }}
),

renamed as (
    select
        subscription_id,
        account_id,
        plan,
        billing_interval,
        case billing_interval when 'year' then 12 else 1 end * coalesce(interval_count, 1) as interval_months,
        quantity as seats,
        unit_amount as unit_amount_minor,
        coalesce(recurring_amount, quantity * unit_amount) as recurring_amount_minor,
        currency,
        cast(coalesce(discount_percent, 0) as decimal(9, 4)) as discount_percent,
        status as subscription_status,
        {{ to_utc_timestamp('trial_end_at') }} as trial_end_at,
        {{ to_utc_timestamp('started_at') }} as started_at,
        {{ to_utc_timestamp('effective_at') }} as effective_at,
        {{ to_utc_timestamp('canceled_at') }} as canceled_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
),

converted as (
    select
        renamed.*,
        {{ minor_to_usd('renamed.unit_amount_minor') }} as unit_amount_usd
    from renamed
    {{ fx_join('renamed.currency', 'renamed.effective_at') }}
)

select * from converted
