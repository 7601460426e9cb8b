{#- The weekly health measures (var health_measures in dbt_project.yml: declared once, by the component
    model that computes them), as a list of names; `qualified=true`: as `<component>.<measure>`, the way
    int_account_weekly_facts selects them from its component models. -#}
{% macro health_measures(qualified=false) %}
    {%- set out = [] -%}
    {%- for component, measures in var('health_measures').items() -%}
        {%- for measure in measures -%}
            {%- do out.append(component ~ '.' ~ measure if qualified else measure) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(out) }}
{% endmacro %}
