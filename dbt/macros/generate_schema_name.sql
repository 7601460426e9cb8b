{#- Use the folder's schema as is (staging, intermediate, marts) rather than
    prefixing it with the target schema: BI reads `marts.*`, not `main_marts.*`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
