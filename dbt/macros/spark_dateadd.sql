{#- dbt-spark 1.11 multiplies the interval without parentheses (`interval * 7` for weeks), so
    dbt.date_spine's `row_number() over (...) - 1` became `row_number() - 7` days: int_weeks was
    empty on Spark. The same macro with the interval in parentheses. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(dbt.spark__dateadd(datepart, '(' ~ interval ~ ')', from_date_or_timestamp)) }}
{%- endmacro %}
