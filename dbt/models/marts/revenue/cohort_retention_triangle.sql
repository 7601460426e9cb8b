{#- The cohort triangle for dashboards: one row per cohort and metric, one
    column per month offset (m00 = cohort month). Offsets not reached yet are null. -#}
{%- set metrics = ['logo_retention', 'revenue_retention', 'gross_revenue_retention'] -%}
with

cohorts as (
    select * from {{ ref('cohort_retention') }}
),

{% for metric in metrics %}
{{ metric }}_rows as (
    select
        cohort_month,
        '{{ metric }}' as metric,
        max(cohort_accounts) as cohort_accounts,
        {% for k in range(var('cohort_triangle_months') + 1) -%}
        max(case when month_offset = {{ k }} then {{ metric }} end) as m{{ '%02d' % k }}{{ ',' if not loop.last }}
        {% endfor %}
    from cohorts
    group by cohort_month
){{ ',' if not loop.last }}
{% endfor %}

{% for metric in metrics %}
select * from {{ metric }}_rows
{% if not loop.last %}union all{% endif %}
{% endfor %}
