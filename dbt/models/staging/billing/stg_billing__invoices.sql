with

source as (
    select * from {{ source('billing', 'invoices') }}
),

latest as (
    {{ latest_version('source', ['invoice_id']) }}
),

renamed as (
    select
        invoice_id,
        account_id,
        subscription_id,
        invoice_type,
        currency,
        subtotal as subtotal_minor,
        tax as tax_minor,
        total as total_minor,
        {{ to_utc_timestamp('issued_at') }} as issued_at,
        {{ to_utc_timestamp('due_at') }} as due_at,
        {{ to_utc_timestamp('paid_at') }} as paid_at,
        status as invoice_status,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
),

converted as (
    select
        renamed.*,
        {{ minor_to_usd('renamed.subtotal_minor') }} as subtotal_usd,
        {{ minor_to_usd('renamed.tax_minor') }} as tax_usd,
        {{ minor_to_usd('renamed.total_minor') }} as total_usd
    from renamed
    {{ fx_join('renamed.currency', 'renamed.issued_at') }}
)

select * from converted
