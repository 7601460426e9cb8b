with

source as (
    select * from {{ source('cs', 'meetings') }}
),

latest as (
    {{ latest_version('source', ['meeting_id']) }}
),

renamed as (
    select
        meeting_id,
        account_id,
        csm_id,
        meeting_type,
        {{ to_utc_timestamp('scheduled_at') }} as scheduled_at,
        attended as is_attended,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
