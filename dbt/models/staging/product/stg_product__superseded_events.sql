{#- The raw copies of an event that a later copy supersedes. Events never change once sent:
    an event_id loaded more than once keeps one copy, the latest (latest load, then file, then
    line: latest_version's order), and every other copy is listed here, so that
    stg_product__events is a view over the accepted raw rows minus these, and the 28M events
    are written once (in raw), not copied into staging every run (docs/performance.md).
    Incremental: a run ranks again every copy of the event ids that arrive in rows accepted
    since the run of the current publication began (CSW_CHECKED_THROUGH, set by the pipeline;
    unset, every row), and replaces their entries (delete+insert on event_id). -#}
{{ config(
    materialized=keyed_incremental_materialization(), unique_key='event_id', incremental_strategy=keyed_incremental_strategy()
) }}

{%- set since = env_var('CSW_CHECKED_THROUGH', '') if is_incremental() else '' %}

with

source as {{ not_materialized() }} (
    select event_id, _load_id, _source_file, _source_line, _loaded_at, _accepted_at
    from {{ source('product', 'events') }}
),

{% if since -%}
new_keys as (
    select distinct event_id
    from source
    where _accepted_at > cast('{{ since }}' as {{ dbt.type_timestamp() }})
),

copied_keys as (
    select source.event_id
    from source
    inner join new_keys
        on new_keys.event_id = source.event_id
    group by source.event_id
    having count(*) > 1
),
{%- else -%}
copied_keys as (
    select event_id
    from source
    group by event_id
    having count(*) > 1
),
{%- endif %}

ranked as (
    select
        copies.event_id,
        copies._load_id as load_id,
        copies._source_line as source_line,
        copies._accepted_at as accepted_at,
        row_number() over (
            partition by copies.event_id
            order by copies._loaded_at desc, copies._source_file desc, copies._source_line desc
        ) as copy_rank
    from source as copies
    inner join copied_keys
        on copied_keys.event_id = copies.event_id
),

superseded as (
    select event_id, load_id, source_line, accepted_at
    from ranked
    where copy_rank > 1
)

select * from superseded
