{#- Keep the latest version of each record: highest version column, then the
    latest load, then the last line of the file. Records arrive twice, late or
    updated; this is the one place that decides which copy wins. -#}
{% macro latest_version(relation, key_columns, version_column='updated_at') -%}
    select *
    from (
        select
            versions.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by
                    {% if version_column %}{{ version_column }} desc,{% endif %}
                    _loaded_at desc,
                    _source_file desc,
                    _source_line desc
            ) as version_rank
        from {{ relation }} as versions
    ) as ranked
    where version_rank = 1
{%- endmacro %}

{#- The same choice as latest_version(relation, key_columns, none), for tables whose keys
    are almost all unique (product events): only keys that arrive more than once are
    ranked; every other row passes through. Sorting all 28M events to drop 0.5% of
    them cost 3x more than this on DuckDB. -#}
{% macro latest_copy(relation, key_columns) -%}
    {%- set keys = key_columns | join(', ') -%}
    with copied_keys as (
        select {{ keys }}
        from {{ relation }}
        group by {{ keys }}
        having count(*) > 1
    )

    select single_copies.*, 1 as version_rank
    from {{ relation }} as single_copies
    where not exists (
        select 1
        from copied_keys
        where {% for key in key_columns %}copied_keys.{{ key }} = single_copies.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    )

    union all

    select *
    from (
        select
            copies.*,
            row_number() over (
                partition by {% for key in key_columns %}copies.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
                order by copies._loaded_at desc, copies._source_file desc, copies._source_line desc
            ) as version_rank
        from {{ relation }} as copies
        inner join copied_keys
            on {% for key in key_columns %}copied_keys.{{ key }} = copies.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    ) as ranked
    where version_rank = 1
{%- endmacro %}
