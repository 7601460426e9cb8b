{#- Events never change once sent; copies of the same event_id are duplicates.
    Incremental: each run reads only what was accepted since the last one (a load a
    person accepts days after it arrived included); a copy of an event already here
    replaces it (delete+insert on event_id), exactly as a full refresh would keep the
    latest copy. A table built before accepted_at existed gains the column and is
    read by loaded_at once. -#}
{{ config(
    materialized=keyed_incremental_materialization(), unique_key='event_id', incremental_strategy=keyed_incremental_strategy(),
    on_schema_change='append_new_columns'
) }}

{%- set cursor = 'loaded_at' -%}
{%- if is_incremental() and 'accepted_at' in (adapter.get_columns_in_relation(this) | map(attribute='name') | list) -%}
    {%- set cursor = 'accepted_at' -%}
{%- endif %}

with

source as {{ not_materialized() }} (
    select * from {{ source('product', 'events') }}
    {% if is_incremental() %}
    where _accepted_at > (select max({{ cursor }}) from {{ this }})
    {% endif %}
),

event_names as (
    select * from {{ ref('product_event_names') }}
),

deduplicated as (
    {{ latest_copy('source', ['event_id']) }}
),

renamed as (
    select
        deduplicated.event_id,
        deduplicated.account_id,
        deduplicated.user_id,
        -- the tracker's name (Segment's `Signed In`) as the warehouse counts it (`login`); others as sent
        coalesce(event_names.event_name, deduplicated.event_name) as event_name,
        {{ to_utc_timestamp('deduplicated.occurred_at') }} as occurred_at,
        cast({{ to_utc_timestamp('deduplicated.occurred_at') }} as date) as occurred_on,
        deduplicated._loaded_at as loaded_at,
        deduplicated._accepted_at as accepted_at
    from deduplicated
    left join event_names
        on deduplicated.event_name = event_names.source_event_name
)

select * from renamed
