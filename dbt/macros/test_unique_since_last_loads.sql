{#- Generic test: `column_name` is unique, checked where an incremental model can break it.

    An incremental model only changes by inserting the rows of recent loads, so only their
    keys can have become duplicated: each is counted across the whole table (a semi-join,
    not a sort of every key). On a full refresh every key is checked. Old keys were checked
    by the runs that loaded them. `loaded_at` is the model's load-time column. -#}
{% test unique_since_last_loads(model, column_name, loaded_at='loaded_at', lookback_days=7) %}
    select {{ column_name }}, count(*) as occurrences
    from {{ model }}
    {% if not flags.FULL_REFRESH %}
    where {{ column_name }} in (
        select {{ column_name }}
        from {{ model }}
        where {{ loaded_at }} >= {{ dbt.dateadd('day', -lookback_days, dbt.current_timestamp()) }}
    )
    {% endif %}
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}
