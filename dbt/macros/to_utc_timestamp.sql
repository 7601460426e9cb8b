{#- Source timestamps arrive with an offset (raw stores them as an instant);
    staging stores naive timestamps that are UTC by convention. -#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'cs_warehouse')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    cast({{ column }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(column) -%}
    cast(timezone('UTC', {{ column }}) as timestamp)
{%- endmacro %}

{% macro spark__to_utc_timestamp(column) -%}
    to_utc_timestamp({{ column }}, 'UTC')
{%- endmacro %}

{#- The newest value of a column, in UTC. DuckDB's column is a timestamp with time zone, where the
    conversion keeps the order: converting the maximum instead of every row took int_source_freshness
    from 2.2 s to 0.2 s at M (28 M events). Elsewhere the column may arrive as text, so each value is
    converted before the comparison. -#}
{% macro max_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('max_utc_timestamp', 'cs_warehouse')(column)) }}
{%- endmacro %}

{% macro default__max_utc_timestamp(column) -%}
    max({{ to_utc_timestamp(column) }})
{%- endmacro %}

{% macro duckdb__max_utc_timestamp(column) -%}
    {{ to_utc_timestamp('max(' ~ column ~ ')') }}
{%- endmacro %}
