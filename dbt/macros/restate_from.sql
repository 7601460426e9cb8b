{#- Weekly models restated by window: on an incremental build they delete and rebuild the weeks from
    restate_from() on, the first week the new batch can change (CSW_RESTATE_FROM, set by the dbt step from
    the rows accepted since the last publication's build and the as-of dates: lib/inputs.restate_from).
    None: every week. Where the engine has no keyed tables (Spark on Parquet) they are plain tables. -#}
{% macro restate_from() -%}
    {%- set week = env_var('CSW_RESTATE_FROM', '') -%}
    {{ return("cast('" ~ week ~ "' as date)" if week else none) }}
{%- endmacro %}

{#- The pre-hook of such a model: its rows from that week on go (all of them when there is no such week). -#}
{% macro delete_restated_weeks() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}{% if restate_from() %} where week_start >= {{ restate_from() }}{% endif %}
    {%- endif -%}
{%- endmacro %}

{#- In such a model: the week its incremental build starts from (none on a full build, or when every week
    is restated). -#}
{% macro restated_from_week() -%}
    {{ return(restate_from() if is_incremental() else none) }}
{%- endmacro %}

{#- The post-hook of a model rescored per account (int_account_health_scored): its account-weeks that are no
    longer in `facts` (a subscription found to end earlier, an account gone) go; the build replaced the rest. -#}
{% macro delete_vanished_account_weeks(facts) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as scored
    where not exists (
        select 1 from {{ facts }} as facts
        where facts.account_id = scored.account_id and facts.week_start = scored.week_start
    )
    {%- endif -%}
{%- endmacro %}
