-- Every health rule reads a declared weekly measure (dbt_project.yml, health_measures): a rule on anything
-- else would score nothing, or its points_if_missing, for every account, silently. One row per such rule.
with

rules as (
    select rule_id, component, metric from {{ ref('health_rules') }}
)

select
    rule_id,
    component,
    metric,
    'health_rules rule ' || rule_id || ' reads "' || metric || '", which is not a declared health measure: add the '
    || 'column to its component model and its name to health_measures in dbt/dbt_project.yml, or fix the rule'
        as problem
from rules
where metric not in ({% for m in health_measures() %}'{{ m }}'{{ ", " if not loop.last }}{% endfor %})
