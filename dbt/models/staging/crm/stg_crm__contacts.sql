with

source as (
    select * from {{ source('crm', 'contacts') }}
),

latest as (
    {{ latest_version('source', ['contact_id']) }}
),

renamed as (
    select
        contact_id,
        account_id,
        full_name,
        email,
        role as contact_role,
        is_active,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
