{#- The firings of `firings` (a CTE with account_id, week_start and the signal's name in `signal_column`)
    held back on a stale source: the week is not covered by the newest record of a stale source the signal
    rests on (a `holds` CTE over int_signal_holds must be in scope). One row per account, week and signal,
    with the reason; churn_risk_alerts and int_account_weekly_triggers hold back alike. -#}
{% macro held_back_firings(firings, signal_column) -%}
    select
        {{ firings }}.account_id,
        {{ firings }}.week_start,
        {{ firings }}.{{ signal_column }},
        min(holds.reason) as held_back_reason
    from {{ firings }}
    inner join holds
        on holds.signal = {{ firings }}.{{ signal_column }}
        and cast({{ dbt.dateadd('day', 7, firings ~ '.week_start') }} as {{ dbt.type_timestamp() }}) > holds.newest_record_at
    group by {{ firings }}.account_id, {{ firings }}.week_start, {{ firings }}.{{ signal_column }}
{%- endmacro %}
