with

source as (
    select * from {{ source('support', 'tickets') }}
),

latest as (
    {{ latest_version('source', ['ticket_id']) }}
),

renamed as (
    select
        ticket_id,
        account_id,
        subject,
        priority,
        status as ticket_status,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('solved_at') }} as solved_at,
        csat_score,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
