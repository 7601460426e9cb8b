{#- The run's logical date, from `--vars '{as_of_date: YYYY-MM-DD}'`. -#}
{% macro as_of_date() -%}
    cast('{{ var("as_of_date") }}' as date)
{%- endmacro %}
