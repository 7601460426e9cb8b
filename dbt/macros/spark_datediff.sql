{#- dbt-spark 1.11's month difference counts a month twice when both dates are month ends
    (months_between('2026-02-28', '2026-01-31') is 1.0, then "day 28 < day 31" adds one); the
    contract of dbt.datediff, as DuckDB and Snowflake read it, is the number of month boundaries
    crossed: renewal terms came out one month off on Spark. Other date parts: dbt-spark's. -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'month' -%}
        ((year({{ second_date }}) * 12 + month({{ second_date }})) - (year({{ first_date }}) * 12 + month({{ first_date }})))
    {%- else -%}
        {{ return(dbt.spark__datediff(first_date, second_date, datepart)) }}
    {%- endif -%}
{%- endmacro %}
