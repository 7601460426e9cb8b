{#- A USD amount divided by a whole number (accounts, months), to the cent, rounded half up,
    exactly; null when the divisor is zero. The amount must be whole cents (decimal(18, 2),
    or such an amount times whole numbers). -#}
{% macro divide_money(amount, divisor) -%}
    {{ return(adapter.dispatch('divide_money', 'cs_warehouse')(amount, divisor)) }}
{%- endmacro %}

{% macro default__divide_money(amount, divisor) -%}
    case
        when ({{ divisor }}) = 0 then null
        else cast(round(cast(({{ amount }}) as decimal(38, 12)) / ({{ divisor }}), 2) as decimal(18, 2))
    end
{%- endmacro %}

{#- DuckDB divides decimals in double precision; this divides whole cents instead (see ratio()). -#}
{% macro duckdb__divide_money(amount, divisor) -%}
    case
        when {{ divisor }} = 0 then null
        else cast(
            cast(
                (cast(({{ amount }}) * 100 as hugeint) * 2 + cast({{ divisor }} as hugeint))
                // (2 * cast({{ divisor }} as hugeint))
                as decimal(18, 0)
            ) * cast(0.01 as decimal(3, 2))
            as decimal(18, 2)
        )
    end
{%- endmacro %}
