with

source as (
    select * from {{ source('crm', 'accounts') }}
),

latest as (
    {{ latest_version('source', ['account_id']) }}
),

renamed as (
    select
        account_id,
        account_name,
        industry,
        region,
        employee_band,
        csm_id,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
