with

source as (
    select * from {{ source('cs', 'emails') }}
),

latest as (
    {{ latest_version('source', ['email_id']) }}
),

renamed as (
    select
        email_id,
        account_id,
        csm_id,
        {{ to_utc_timestamp('sent_at') }} as sent_at,
        {{ to_utc_timestamp('replied_at') }} as replied_at,
        replied_at is not null as has_reply,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
