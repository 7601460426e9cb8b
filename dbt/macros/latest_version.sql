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
