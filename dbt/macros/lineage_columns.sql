{#- Where a staged row came from: its load, file and line. Staging keeps them so that
    a failing test can name the file an operator has to fix (`csw run` prints them).
    Not on product events: 28M rows at M, and their only test (unique event_id) cannot
    fail after deduplication. -#}
{% macro lineage_columns() -%}
    _load_id, _source_file, _source_line
{%- endmacro %}
