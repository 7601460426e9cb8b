with

source as (
    select * from {{ source('cs', 'trainings') }}
),

latest as (
    {{ latest_version('source', ['training_id']) }}
),

renamed as (
    select
        training_id,
        account_id,
        contact_id,
        course,
        {{ to_utc_timestamp('completed_at') }} as completed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
