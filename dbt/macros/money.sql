{#- Every USD amount in the warehouse: rounded half away from zero to the cent. -#}
{% macro money(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- Minor units converted to USD with the rate joined as `fx_alias` (by
    default the month's rate joined by `fx_join`). Expects the model to join
    `currencies` as `cur`. -#}
{% macro minor_to_usd(amount_minor, fx_alias='fx') -%}
    {{ money(amount_minor ~ ' * cur.minor_unit_factor * ' ~ fx_alias ~ '.usd_per_unit') }}
{%- endmacro %}

{% macro fx_join(currency_column, at_column) -%}
    left join {{ ref('currencies') }} as cur
        on cur.currency = {{ currency_column }}
    {{ fx_rate_join('fx', currency_column, dbt.date_trunc('month', at_column)) }}
{%- endmacro %}

{#- The rate of `currency_column` in the month starting at `month_expression`,
    joined as `alias`: for valuing an amount at another month's rate. -#}
{% macro fx_rate_join(alias, currency_column, month_expression) -%}
    left join {{ ref('fx_rates') }} as {{ alias }}
        on {{ alias }}.currency = {{ currency_column }}
        and {{ alias }}.month = cast({{ month_expression }} as date)
{%- endmacro %}
