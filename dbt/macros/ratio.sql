{#- A ratio as a fraction with six decimals (1.0 = 100%), rounded half up, exactly;
    null when the denominator is zero, never a division error. -#}
{% macro ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('ratio', 'cs_warehouse')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator) -%}
    case
        when {{ denominator }} = 0 then null
        else cast(round(cast({{ numerator }} as decimal(38, 12)) / {{ denominator }}, 6) as decimal(12, 6))
    end
{%- endmacro %}

{#- DuckDB divides decimals in double precision, which can round a ratio that lies
    within 1e-16 of a half the wrong way; this divides integers (cents) instead. -#}
{% macro duckdb__ratio(numerator, denominator) -%}
    case
        when {{ denominator }} = 0 then null
        else cast(
            cast(
                (cast(({{ numerator }}) * 100 as hugeint) * 2000000 + cast(({{ denominator }}) * 100 as hugeint))
                // (2 * cast(({{ denominator }}) * 100 as hugeint))
                as decimal(18, 0)
            ) * cast(0.000001 as decimal(7, 6))
            as decimal(12, 6)
        )
    end
{%- endmacro %}

{#- ratio() for a numerator that may be negative (net MRR churn: expansion can exceed losses),
    rounded half away from zero like ratio() rounds positive numbers. -#}
{% macro signed_ratio(numerator, denominator) -%}
    case
        when ({{ numerator }}) < 0 then -({{ ratio('-(' ~ numerator ~ ')', denominator) }})
        else {{ ratio(numerator, denominator) }}
    end
{%- endmacro %}
