{#- MetricFlow's time spine (one row per day, docs/bi.md "Metrics by name"): the days from the first
    spine month to a year past the as-of date. Queries on the published marts never read it; MetricFlow
    needs it declared. -#}
with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('spine_start_month') ~ "' as date)",
        dbt.dateadd('year', 1, as_of_date())
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
