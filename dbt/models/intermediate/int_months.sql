{#- Calendar months (UTC) from the first subscription month to the as-of month.
    `snapshot_at` is the instant at which a month's state is read: the start of
    the next month for complete months, the as-of date for the current one. -#}
with

spine as (
    {{ dbt.date_spine(
        'month',
        "cast('" ~ var('spine_start_month') ~ "' as date)",
        dbt.dateadd('month', 1, dbt.date_trunc('month', as_of_date()))
    ) }}
),

first_subscription as (
    select cast({{ dbt.date_trunc('month', 'min(effective_at)') }} as date) as first_month
    from {{ ref('stg_billing__subscriptions') }}
),

months as (
    select
        cast(spine.date_month as date) as month_start,
        cast({{ dbt.dateadd('month', 1, 'spine.date_month') }} as date) as next_month_start
    from spine
    cross join first_subscription
    where cast(spine.date_month as date) >= first_subscription.first_month
),

final as (
    select
        month_start,
        next_month_start,
        case
            when next_month_start <= {{ as_of_date() }}
                then cast(next_month_start as {{ dbt.type_timestamp() }})
            else cast({{ as_of_date() }} as {{ dbt.type_timestamp() }})
        end as snapshot_at,
        next_month_start <= {{ as_of_date() }} as is_complete
    from months
)

select * from final
