{#- Generated from dagster_project/contract.py by `csw contract --write`; do not edit by hand.
    Per raw table: its dbt source and the column holding each record's own time, the newest of which
    the source_freshness mart compares with the as-of date. -#}
{% macro contract_record_times() %}
    {{ return([
        {'source': 'crm', 'table': 'accounts', 'raw': 'crm__accounts', 'column': 'updated_at'},
        {'source': 'crm', 'table': 'contacts', 'raw': 'crm__contacts', 'column': 'updated_at'},
        {'source': 'crm', 'table': 'csms', 'raw': 'crm__csms', 'column': 'updated_at'},
        {'source': 'billing', 'table': 'subscriptions', 'raw': 'billing__subscriptions', 'column': 'updated_at'},
        {'source': 'billing', 'table': 'invoices', 'raw': 'billing__invoices', 'column': 'updated_at'},
        {'source': 'billing', 'table': 'payments', 'raw': 'billing__payments', 'column': 'updated_at'},
        {'source': 'product', 'table': 'users', 'raw': 'product__users', 'column': 'updated_at'},
        {'source': 'product', 'table': 'features', 'raw': 'product__features', 'column': 'updated_at'},
        {'source': 'product', 'table': 'events', 'raw': 'product__events', 'column': 'occurred_at'},
        {'source': 'support', 'table': 'tickets', 'raw': 'support__tickets', 'column': 'updated_at'},
        {'source': 'surveys', 'table': 'nps_responses', 'raw': 'surveys__nps_responses', 'column': 'updated_at'},
        {'source': 'cs', 'table': 'meetings', 'raw': 'cs__meetings', 'column': 'updated_at'},
        {'source': 'cs', 'table': 'trainings', 'raw': 'cs__trainings', 'column': 'updated_at'},
        {'source': 'cs', 'table': 'emails', 'raw': 'cs__emails', 'column': 'updated_at'}
    ]) }}
{% endmacro %}
