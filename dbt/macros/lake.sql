{#- CSW_ENGINE=spark (docs/scale-out.md): the accepted loads of each raw table are Parquet under
    <lake>/raw/<table>/ (dagster_project/lib/lake.py); before a build the sources are (re)declared over those
    folders, in the schema the sources name (raw_accepted). A no-op on DuckDB, whose sources
    are the extract's own views. Run by on-run-start, so one Spark session does it all. -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('CSW_LAKE_DIR', '../data/lake') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- set name = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ name) -%}
            {%- do run_query("create table " ~ name ~ " using parquet location '" ~ lake ~ "/raw/" ~ source.identifier ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- CSW_ENGINE=spark: the seeds as Parquet under <lake>/seeds/<seed>/ after a build, for the mart
    checks, which run in DuckDB and compare some marts with a seed (a health band with its score).
    Run by on-run-end; a no-op on DuckDB. -#}
{% macro export_seeds_to_lake() -%}
    {{ return(adapter.dispatch('export_seeds_to_lake', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__export_seeds_to_lake() -%}
{%- endmacro %}

{% macro spark__export_seeds_to_lake() -%}
    {%- if execute -%}
        {%- set lake = env_var('CSW_LAKE_DIR', '../data/lake') -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'seed' -%}
            {%- do run_query("insert overwrite directory '" ~ lake ~ "/seeds/" ~ node.name ~ "' using parquet select * from " ~ node.schema ~ "." ~ node.alias) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- CSW_ENGINE=spark: a mart is rebuilt at its fixed place in the lake (location_root), over the
    files of the previous build. Spark refuses a CREATE TABLE AS over a non-empty folder unless
    told otherwise; this is a pre-hook of every mart, so it holds on the connection that builds it
    (a Thrift server ignores the settings a client sends when it opens a session). -#}
{% macro spark_rebuild_in_place() -%}
    {{ return(adapter.dispatch('spark_rebuild_in_place', 'cs_warehouse')()) }}
{%- endmacro %}

{% macro default__spark_rebuild_in_place() -%}
{%- endmacro %}

{% macro spark__spark_rebuild_in_place() -%}
    set spark.sql.legacy.allowNonEmptyLocationInCTAS = true
{%- endmacro %}
