with

source as (
    select * from {{ source('product', 'users') }}
),

latest as (
    {{ latest_version('source', ['user_id']) }}
),

renamed as (
    select
        user_id,
        account_id,
        email,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('deactivated_at') }} as deactivated_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
