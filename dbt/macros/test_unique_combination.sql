{#- Generic test: the combination of `columns` is unique (no dbt_utils: the
    project installs nothing from the dbt hub). -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
