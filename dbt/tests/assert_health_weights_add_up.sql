-- The health score is out of 100: component maxima add up to 100, and each
-- component's rules can reach exactly its maximum (never more, never less).
with

components as (
    select component, max_points from {{ ref('health_components') }}
),

rule_maxima as (
    select
        component,
        sum(case
            when top_points >= mid_points and top_points >= low_points then top_points
            when mid_points >= low_points then mid_points
            else low_points
        end) as reachable_points
    from {{ ref('health_rules') }}
    group by component
)

select
    'total' as component,
    sum(max_points) as max_points,
    100 as expected,
    'the components'' max_points (health_components) add up to ' || cast(sum(max_points) as {{ dbt.type_string() }})
    || ', not 100' as problem
from components
having sum(max_points) <> 100

union all

select
    components.component,
    components.max_points,
    coalesce(rule_maxima.reachable_points, 0),
    'component ' || components.component || ': max_points ' || cast(components.max_points as {{ dbt.type_string() }})
    || ' (health_components), but its rules (health_rules) can reach '
    || cast(coalesce(rule_maxima.reachable_points, 0) as {{ dbt.type_string() }})
from components
left join rule_maxima
    on rule_maxima.component = components.component
where components.max_points <> coalesce(rule_maxima.reachable_points, 0)
