{#- Every USD amount in the warehouse: rounded half away from zero to the cent. -#}
{% macro money(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- Minor units of `currency` on `at` converted to USD with that month's rate.
    Expects the model to join `currencies` as `cur` and `fx_rates` as `fx`. -#}
{% macro minor_to_usd(amount_minor) -%}
    {{ money(amount_minor ~ ' * cur.minor_unit_factor * fx.usd_per_unit') }}
{%- endmacro %}

{% macro fx_join(currency_column, at_column) -%}
    left join {{ ref('currencies') }} as cur
        on cur.currency = {{ currency_column }}
    left join {{ ref('fx_rates') }} as fx
        on fx.currency = {{ currency_column }}
        and fx.month = cast({{ dbt.date_trunc('month', at_column) }} as date)
{%- endmacro %}
