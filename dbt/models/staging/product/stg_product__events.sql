{#- Telemetry events, one row per event_id: a view over the accepted raw rows without the
    copies a later copy supersedes (stg_product__superseded_events). A view, not a table:
    copying 28M events into staging cost a third of the dbt build at M (docs/performance.md);
    the weekly models read only the weeks they recompute, the onboarding model only the newly
    accepted rows, and those filters reach the raw scan through the view. -#}
{{ config(materialized='view') }}

with

source as (
    select * from {{ source('product', 'events') }}
),

superseded as (
    select load_id, source_line from {{ ref('stg_product__superseded_events') }}
),

{#- a left join and `is null`, not `not exists`: DuckDB turned the two-column `not exists`
    into a grouping of all 28M rows (11.9 s against 0.5 s at M) -#}
kept as (
    select source.*
    from source
    left join superseded
        on superseded.load_id = source._load_id
        and superseded.source_line = source._source_line
    where superseded.load_id is null
),

renamed as (
    select
        event_id,
        account_id,
        user_id,
        event_name,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        cast({{ to_utc_timestamp('occurred_at') }} as date) as occurred_on,
        _loaded_at as loaded_at,
        _accepted_at as accepted_at
    from kept
)

select * from renamed
