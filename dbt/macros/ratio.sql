{#- A ratio as a fraction with six decimals (1.0 = 100%); null when the
    denominator is zero, never a division error. -#}
{% macro ratio(numerator, denominator) -%}
    case
        when {{ denominator }} = 0 then null
        else cast(round(cast({{ numerator }} as {{ dbt.type_float() }}) / {{ denominator }}, 6) as decimal(12, 6))
    end
{%- endmacro %}
