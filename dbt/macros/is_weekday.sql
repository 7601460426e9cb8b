{#- Monday to Friday. Day-of-week numbering differs between engines. -#}
{% macro is_weekday(date_column) -%}
    {{ return(adapter.dispatch('is_weekday', 'cs_warehouse')(date_column)) }}
{%- endmacro %}

{% macro default__is_weekday(date_column) -%}
    extract(dow from {{ date_column }}) between 1 and 5
{%- endmacro %}

{% macro duckdb__is_weekday(date_column) -%}
    isodow({{ date_column }}) <= 5
{%- endmacro %}

{% macro spark__is_weekday(date_column) -%}
    dayofweek({{ date_column }}) between 2 and 6
{%- endmacro %}
