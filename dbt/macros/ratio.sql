{#- A ratio as a fraction with six decimals (1.0 = 100%), rounded half up, exactly;
    null when the denominator is zero, never a division error. The numerator has at most
    `scale` decimals (2: cents, the default; 0: counts; 6: a ratio), the denominator is a
    whole number or has no more decimals than the numerator. The same value on every engine:
    Spark found float32 divisions (login trend, reply rate) that DuckDB rounded differently. -#}
{% macro ratio(numerator, denominator, scale=2) -%}
    {{ return(adapter.dispatch('ratio', 'cs_warehouse')(numerator, denominator, scale)) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator, scale=2) -%}
    case
        when ({{ denominator }}) = 0 then null
        else cast(round(cast(({{ numerator }}) as decimal(38, 12)) / ({{ denominator }}), 6) as decimal(12, 6))
    end
{%- endmacro %}

{#- DuckDB divides decimals in double precision, which can round a ratio that lies
    within 1e-16 of a half the wrong way; this divides integers (cents) instead. -#}
{% macro duckdb__ratio(numerator, denominator, scale=2) -%}
    {%- set unit = 10 ** scale -%}
    case
        when ({{ denominator }}) = 0 then null
        else cast(
            cast(
                (cast(({{ numerator }}) * {{ unit }} as hugeint) * 2000000 + cast(({{ denominator }}) * {{ unit }} as hugeint))
                // (2 * cast(({{ denominator }}) * {{ unit }} as hugeint))
                as decimal(18, 0)
            ) * cast(0.000001 as decimal(7, 6))
            as decimal(12, 6)
        )
    end
{%- endmacro %}

{#- ratio() for a numerator that may be negative (net MRR churn: expansion can exceed losses),
    rounded half away from zero like ratio() rounds positive numbers. -#}
{% macro signed_ratio(numerator, denominator, scale=2) -%}
    case
        when ({{ numerator }}) < 0 then -({{ ratio('-(' ~ numerator ~ ')', denominator, scale) }})
        else {{ ratio(numerator, denominator, scale) }}
    end
{%- endmacro %}
