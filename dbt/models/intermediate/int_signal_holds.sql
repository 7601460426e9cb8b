{#- The signals (alert rules, omission rules, band_dropped) resting on a stale source, one row per signal
    and stale source (seed signal_sources): a firing whose week the source's newest record does not cover
    (week_start + 7 days after newest_record_at) is held back with `reason`. -#}
with

signal_sources as (
    select * from {{ ref('signal_sources') }}
),

freshness as (
    select * from {{ ref('int_source_freshness') }}
    where is_stale
),

final as (
    select
        signal_sources.signal,
        freshness.source_table,
        freshness.newest_record_at,
        {{ dbt.concat([
            "freshness.source_name", "'.'", "freshness.table_name",
            "' is stale: newest record on '", to_text('cast(freshness.newest_record_at as date)'),
            "', '", to_text('freshness.record_lag_hours'), "' h before the as-of date (stale after '",
            to_text('freshness.error_after_hours'), "' h)'"
        ]) }} as reason
    from signal_sources
    inner join freshness
        on freshness.source_table = signal_sources.source_table
)

select * from final
