{#- Three incremental models replace rows by key (a re-sent event, an earlier first use, a rescored
    week); the weekly models restated by window (restate_from.sql) delete and append, with the same
    materialization. DuckDB does that with delete+insert. Spark can only replace rows by key in a
    table format with row-level changes (Delta, Iceberg, Hudi: the `merge` strategy, the same result
    when a batch holds one row per key, as these do); on plain Parquet, the lake's default here
    (CSW_SPARK_FILE_FORMAT), it has no keyed replace, so these models are rebuilt in full
    instead of being approximated. docs/scale-out.md, "Incremental models on Spark". -#}
{% macro keyed_incremental_materialization() -%}
    {{ return(adapter.dispatch('keyed_incremental_materialization', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__keyed_incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__keyed_incremental_materialization() -%}
    {{ return('incremental' if spark_file_format() in ('delta', 'iceberg', 'hudi') else 'table') }}
{%- endmacro %}

{% macro keyed_incremental_strategy() -%}
    {{ return(adapter.dispatch('keyed_incremental_strategy', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__keyed_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__keyed_incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{% macro spark_file_format() -%}
    {{ return(env_var('CSW_SPARK_FILE_FORMAT', 'parquet')) }}
{%- endmacro %}
