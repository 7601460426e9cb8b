{#- The run's logical date. The pipeline sets $CSW_AS_OF_DATE (an env var, so that a new
    date re-parses only the models that use it); ad-hoc `dbt` calls fall back to the
    `as_of_date` var: `dbt build --vars '{as_of_date: 2026-11-15}'`. -#}
{% macro as_of_date() -%}
    cast('{{ env_var("CSW_AS_OF_DATE", var("as_of_date")) }}' as date)
{%- endmacro %}
