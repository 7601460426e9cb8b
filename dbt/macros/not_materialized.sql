{#- Put after `name as` in a CTE that is read more than once but is cheap to read again
    (a filtered scan of one table): DuckDB materialises such a CTE in full before anything
    else runs, which for the events (28M rows at M, 278M at L) meant copying the table into
    memory and spilling it to disk. Engines that inline CTEs (Spark) need nothing. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}
