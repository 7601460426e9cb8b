{#- An expression as text, in the engine's string type (alert details and other labels).
    `round_to_integer=true` first rounds to a whole number (shares shown as percentages). -#}
{% macro to_text(expression, round_to_integer=false) -%}
    {%- set value = "cast(round(" ~ expression ~ ", 0) as integer)" if round_to_integer else expression -%}
    {{ return("cast(" ~ value ~ " as " ~ dbt.type_string() ~ ")") }}
{%- endmacro %}
