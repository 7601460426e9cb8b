{#- The first week an incremental weekly model recomputes: `activity_lookback_weeks` weeks
    before the newest week it holds, so that late events land in their own week. -#}
{% macro lookback_start() -%}
    (select cast({{ dbt.dateadd('week', -var('activity_lookback_weeks'), 'max(week_start)') }} as date) from {{ this }})
{%- endmacro %}

{#- The events an incremental weekly model has to (re)read: all of them on a full
    build, else those from lookback_start() on, recomputed in full. -#}
{% macro recent_events() -%}
    select * from {{ ref('stg_product__events') }}
    {% if is_incremental() %}
    where occurred_on >= {{ lookback_start() }}
    {% endif %}
{%- endmacro %}
