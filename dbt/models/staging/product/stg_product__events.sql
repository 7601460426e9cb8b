{#- Events never change once sent; copies of the same event_id are duplicates.
    Incremental: each run reads only what was loaded since the last one; a copy of
    an event already here replaces it (delete+insert on event_id), exactly as a
    full refresh would keep the latest copy. -#}
{{ config(materialized='incremental', unique_key='event_id', incremental_strategy='delete+insert') }}

with

source as {{ not_materialized() }} (
    select * from {{ source('product', 'events') }}
    {% if is_incremental() %}
    where _loaded_at > (select max(loaded_at) from {{ this }})
    {% endif %}
),

deduplicated as (
    {{ latest_copy('source', ['event_id']) }}
),

renamed as (
    select
        event_id,
        account_id,
        user_id,
        event_name,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        cast({{ to_utc_timestamp('occurred_at') }} as date) as occurred_on,
        _loaded_at as loaded_at
    from deduplicated
)

select * from renamed
