with

source as (
    select * from {{ source('billing', 'payments') }}
),

latest as (
    {{ latest_version('source', ['payment_id']) }}
),

renamed as (
    select
        payment_id,
        invoice_id,
        account_id,
        amount as amount_minor,
        currency,
        status as payment_status,
        failure_reason,
        {{ to_utc_timestamp('created_at') }} as attempted_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
),

converted as (
    select
        renamed.*,
        {{ minor_to_usd('renamed.amount_minor') }} as amount_usd
    from renamed
    {{ fx_join('renamed.currency', 'renamed.attempted_at') }}
)

select * from converted
