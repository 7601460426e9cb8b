with

source as (
    select * from {{ source('crm', 'csms') }}
),

latest as (
    {{ latest_version('source', ['csm_id']) }}
),

renamed as (
    select
        csm_id,
        csm_name,
        email as csm_email,
        team,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
