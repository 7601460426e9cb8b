{#- The as-of week: the last week of int_weeks (the week holding the as-of date; the week before when
    the as-of date is a Monday, whose week has not begun to be read). One row; every model that needs
    "this week" reads it here. -#}
with

weeks as (
    select * from {{ ref('int_weeks') }}
),

final as (
    select max(week_start) as week_start
    from weeks
)

select * from final
