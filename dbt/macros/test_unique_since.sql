{#- Generic test: `column_name` is unique, checked for the keys of the rows newer than `since`
    (a timestamp in `since_column`) against the whole model. The pipeline passes as `since`
    the newest acceptance the current publication's build read, whose own check covered every
    row accepted until then: a duplicate can then only involve a key of a newer row, so this
    finds exactly what `unique` finds (tests/test_unique_since.py injects a copy of an old
    event to show it) while reading the 28M event ids once through a small key set instead
    of grouping all of them every day. Without `since` (a first run, a full refresh, another
    engine's publication) it is the plain `unique` test. -#}
{% test unique_since(model, column_name, since_column, since='') %}
    {%- if since %}
    with new_keys as (
        select distinct {{ column_name }} as new_key
        from {{ model }}
        where {{ since_column }} > cast('{{ since }}' as {{ dbt.type_timestamp() }})
    )

    select {{ column_name }} as unique_field, count(*) as n_records
    from {{ model }}
    inner join new_keys
        on new_keys.new_key = {{ column_name }}
    group by {{ column_name }}
    having count(*) > 1
    {%- else %}
    select {{ column_name }} as unique_field, count(*) as n_records
    from {{ model }}
    where {{ column_name }} is not null
    group by {{ column_name }}
    having count(*) > 1
    {%- endif %}
{% endtest %}
