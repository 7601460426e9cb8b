{#- The events an incremental weekly model has to (re)read: all of them on a full
    build, else the last `activity_lookback_weeks` weeks before the newest week it
    holds, recomputed in full so that late events land in their own week. -#}
{% macro recent_events() -%}
    select * from {{ ref('stg_product__events') }}
    {% if is_incremental() %}
    where occurred_on >= (
        select cast({{ dbt.dateadd('week', -var('activity_lookback_weeks'), 'max(week_start)') }} as date) from {{ this }}
    )
    {% endif %}
{%- endmacro %}
