{#- Per source table: how old its newest record is at the start of the as-of date, against the
    thresholds of the seed freshness_thresholds. The record's own time (the contract's record-time
    column: `occurred_at` for events, `updated_at` elsewhere) of accepted loads, so the verdict depends
    on the data and the as-of date only: the same on every engine, every way in (files, PostgreSQL, a
    vendor's export) and on a re-run. When each source last *loaded*, and how many rows, are facts of the
    delivery, added at publish in `_freshness`. A stale source (`is_stale`)
    holds back the alerts and tasks resting on it (seed signal_sources). -#}
with

thresholds as (
    select * from {{ ref('freshness_thresholds') }}
),

newest as (
    {%- for t in contract_record_times() %}
    select
        '{{ t.raw }}' as source_table,
        '{{ t.source }}' as source_name,
        '{{ t.table }}' as table_name,
        '{{ t.column }}' as record_time_column,
        {{ max_utc_timestamp(t.column) }} as newest_record_at
    from {{ source(t.source, t.table) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

as_of as (
    select
        {{ as_of_date() }} as as_of_date,
        cast({{ as_of_date() }} as {{ dbt.type_timestamp() }}) as as_of_start
),

lagged as (
    select
        newest.*,
        as_of.as_of_date,
        cast(round({{ dbt.datediff('newest.newest_record_at', 'as_of.as_of_start', 'minute') }} / 60.0, 1)
            as decimal(9, 1)) as record_lag_hours,
        thresholds.warn_after_hours,
        thresholds.error_after_hours
    from newest
    cross join as_of
    left join thresholds
        on thresholds.source_table = newest.source_table
),

final as (
    select
        source_table,
        source_name,
        table_name,
        record_time_column,
        newest_record_at,
        as_of_date,
        record_lag_hours,
        warn_after_hours,
        error_after_hours,
        case
            when warn_after_hours is null and error_after_hours is null then 'unchecked'
            when newest_record_at is null then 'no_records'
            when record_lag_hours > error_after_hours then 'error'
            when record_lag_hours > warn_after_hours then 'warn'
            else 'fresh'
        end as freshness_status,
        coalesce(newest_record_at is not null and record_lag_hours > error_after_hours, false) as is_stale
    from lagged
)

select * from final
