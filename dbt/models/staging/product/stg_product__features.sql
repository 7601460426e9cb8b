with

source as (
    select * from {{ source('product', 'features') }}
),

latest as (
    {{ latest_version('source', ['feature_name']) }}
),

renamed as (
    select
        feature_name,
        category as feature_category,
        is_core,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
)

select * from renamed
