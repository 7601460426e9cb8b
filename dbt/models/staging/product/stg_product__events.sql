{#- Events never change once sent; copies of the same event_id are duplicates. -#}
with

source as (
    select * from {{ source('product', 'events') }}
),

deduplicated as (
    {{ latest_version('source', ['event_id'], version_column=none) }}
),

renamed as (
    select
        event_id,
        account_id,
        user_id,
        event_name,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        cast({{ to_utc_timestamp('occurred_at') }} as date) as occurred_on
    from deduplicated
)

select * from renamed
