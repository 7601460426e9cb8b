{#- Weeks (Monday to Sunday, UTC) from the first subscription week to the as-of
    week. A week's state is read at `snapshot_at`: next Monday 00:00, or the
    as-of date for the current week; `weekdays` counts the weekdays elapsed. -#}
with

spine as (
    {{ dbt.date_spine(
        'week',
        dbt.date_trunc('week', "cast('" ~ var('spine_start_month') ~ "' as date)"),
        dbt.dateadd('week', 1, dbt.date_trunc('week', as_of_date()))
    ) }}
),

first_subscription as (
    select cast({{ dbt.date_trunc('week', 'min(effective_at)') }} as date) as first_week
    from {{ ref('stg_billing__subscriptions') }}
),

weeks as (
    select
        cast(spine.date_week as date) as week_start,
        cast({{ dbt.dateadd('day', 7, 'spine.date_week') }} as date) as next_week_start
    from spine
    cross join first_subscription
    where cast(spine.date_week as date) >= first_subscription.first_week
      and cast(spine.date_week as date) < {{ as_of_date() }}
),

final as (
    select
        week_start,
        next_week_start,
        case
            when next_week_start <= {{ as_of_date() }} then cast(next_week_start as {{ dbt.type_timestamp() }})
            else cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
        end as snapshot_at,
        case
            when next_week_start <= {{ as_of_date() }} then 5
            when {{ dbt.datediff('week_start', as_of_date(), 'day') }} > 5 then 5
            else {{ dbt.datediff('week_start', as_of_date(), 'day') }}
        end as weekdays,
        next_week_start <= {{ as_of_date() }} as is_complete
    from weeks
)

select * from final
