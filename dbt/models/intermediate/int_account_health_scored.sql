{#- The weekly health score with the facts it was computed from: every rule of the health_rules seed
    applied to the week's facts, summed per component, banded, compared with last week, and the main
    driver named: the component furthest below its maximum relative to that maximum, counting only the
    rules that can apply to the account at its age (applies_from_day); ties go to the larger shortfall in
    points, then to the component listed first in health_components. The score itself counts every rule.
    account_health_weekly publishes the score's columns.
    Incremental per account: each row keeps the facts the rules read (is_complete, days_since_start and
    the declared measures), so a build compares them with this week's int_account_weekly_facts and
    rescores each account from its first week whose facts differ, appeared or went, reading the week
    before it for the change. The change is found in the data, not reasoned from the sources: a late
    ticket, a backdated amendment, a corrected start date or the as-of week moving on rescore exactly
    the accounts and weeks they reached. Scoring every week cost 50 s of a 255 s one-day dbt build
    at L (session 15). Score and facts are replaced in one transaction; weeks that went are deleted after. -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key=['account_id', 'week_start'],
    incremental_strategy=keyed_incremental_strategy(),
    post_hook="{{ delete_vanished_account_weeks(ref('int_account_weekly_facts')) }}",
) }}
{#- the measures the rules may read: declared once (dbt_project.yml, health_measures) -#}
{%- set metrics = health_measures() -%}
{%- set scored_facts = ['account_id', 'week_start', 'is_complete', 'days_since_start'] + metrics -%}
with

all_facts as (
    select * from {{ ref('int_account_weekly_facts') }}
),
{%- if is_incremental() %}

{#- the account-weeks whose facts are new, changed or gone since they were scored -#}
changed_weeks as (
    select added.account_id, added.week_start
    from (
        select {{ scored_facts | join(', ') }} from all_facts
        except
        select {{ scored_facts | join(', ') }} from {{ this }}
    ) as added
    union all
    select gone.account_id, gone.week_start
    from (
        select {{ scored_facts | join(', ') }} from {{ this }}
        except
        select {{ scored_facts | join(', ') }} from all_facts
    ) as gone
),

rescored as (
    select account_id, min(week_start) as rescore_from_week
    from changed_weeks
    group by account_id
),

{#- each rescored account is read from its week before the first rescored one (for the score change) -#}
rescored_reads as (
    select
        rescored.account_id,
        rescored.rescore_from_week,
        coalesce(
            max(case when all_facts.week_start < rescored.rescore_from_week then all_facts.week_start end),
            rescored.rescore_from_week
        ) as read_from_week
    from rescored
    left join all_facts
        on all_facts.account_id = rescored.account_id
    group by rescored.account_id, rescored.rescore_from_week
),
{%- endif %}

facts as (
    select all_facts.*
    from all_facts
    {%- if is_incremental() %}
    inner join rescored_reads
        on rescored_reads.account_id = all_facts.account_id
        and all_facts.week_start >= rescored_reads.read_from_week
    {%- endif %}
),

rules as (
    select * from {{ ref('health_rules') }}
),

components as (
    select * from {{ ref('health_components') }}
),

bands as (
    select * from {{ ref('health_bands') }}
),

{#- Compared as decimals: the metrics have at most six decimals, the thresholds four. As float32
    (this cast's type until Spark ran it), 0.70 became 0.69999999 and a metric of exactly 0.70
    scored top points on DuckDB (both sides float) and mid points on Spark (both sides double). -#}
metric_values as (
    {% for metric in metrics %}
    select account_id, week_start, days_since_start, '{{ metric }}' as metric,
        cast({{ metric }} as decimal(18, 6)) as metric_value
    from facts
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rule_points as (
    select
        metric_values.account_id,
        metric_values.week_start,
        rules.component,
        case
            when metric_values.metric_value is null then rules.points_if_missing
            when rules.direction = 'higher_is_better' and metric_values.metric_value >= rules.top_threshold then rules.top_points
            when rules.direction = 'higher_is_better' and metric_values.metric_value >= rules.mid_threshold then rules.mid_points
            when rules.direction = 'lower_is_better' and metric_values.metric_value <= rules.top_threshold then rules.top_points
            when rules.direction = 'lower_is_better' and metric_values.metric_value <= rules.mid_threshold then rules.mid_points
            else rules.low_points
        end as points,
        {#- the most the rule can give (as assert_health_weights_add_up reads it) -#}
        case
            when rules.top_points >= rules.mid_points and rules.top_points >= rules.low_points then rules.top_points
            when rules.mid_points >= rules.low_points then rules.mid_points
            else rules.low_points
        end as reachable_points,
        coalesce(metric_values.days_since_start, 0) >= coalesce(rules.applies_from_day, 0) as is_applicable
    from metric_values
    inner join rules
        on rules.metric = metric_values.metric
),

component_points as (
    select
        rule_points.account_id,
        rule_points.week_start,
        rule_points.component,
        components.max_points,
        components.sort_order,
        sum(rule_points.points) as points,
        sum(case when rule_points.is_applicable then rule_points.reachable_points - rule_points.points else 0 end)
            as applicable_gap,
        sum(case when rule_points.is_applicable then rule_points.reachable_points else 0 end) as applicable_max
    from rule_points
    inner join components
        on components.component = rule_points.component
    group by rule_points.account_id, rule_points.week_start, rule_points.component,
             components.max_points, components.sort_order
),

{#- Relative shortfall rounded to four decimals, so DuckDB and Spark rank the same ties the same way. -#}
drivers as (
    select
        account_id,
        week_start,
        component as main_driver,
        applicable_gap as main_driver_gap,
        cast(round(cast(applicable_gap as decimal(18, 6)) / applicable_max, 4) as decimal(9, 4))
            as main_driver_gap_share,
        row_number() over (
            partition by account_id, week_start
            order by cast(round(cast(applicable_gap as decimal(18, 6)) / applicable_max, 4) as decimal(9, 4)) desc,
                     applicable_gap desc, sort_order
        ) as shortfall_rank
    from component_points
    where applicable_max > 0
),

scores as (
    select
        account_id,
        week_start,
        sum(case when component = 'product_usage' then points else 0 end) as usage_points,
        sum(case when component = 'engagement' then points else 0 end) as engagement_points,
        sum(case when component = 'support' then points else 0 end) as support_points,
        sum(case when component = 'relationship' then points else 0 end) as relationship_points,
        sum(case when component = 'financial' then points else 0 end) as financial_points,
        sum(points) as health_score
    from component_points
    group by account_id, week_start
),

banded as (
    select
        scores.*,
        bands.health_band,
        row_number() over (partition by scores.account_id, scores.week_start order by bands.min_score desc) as band_rank
    from scores
    inner join bands
        on scores.health_score >= bands.min_score
),

final as (
    select
        banded.account_id,
        banded.week_start,
        cast(banded.usage_points as integer) as usage_points,
        cast(banded.engagement_points as integer) as engagement_points,
        cast(banded.support_points as integer) as support_points,
        cast(banded.relationship_points as integer) as relationship_points,
        cast(banded.financial_points as integer) as financial_points,
        cast(banded.health_score as integer) as health_score,
        banded.health_band,
        cast(banded.health_score - lag(banded.health_score) over (
            partition by banded.account_id order by banded.week_start) as integer) as score_change,
        lag(banded.health_band) over (partition by banded.account_id order by banded.week_start) as previous_health_band,
        drivers.main_driver,
        facts.is_complete,
        cast(drivers.main_driver_gap as integer) as main_driver_gap,
        drivers.main_driver_gap_share,
        {%- for column in scored_facts if column not in ('account_id', 'week_start', 'is_complete') %}
        facts.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from banded
    inner join drivers
        on drivers.account_id = banded.account_id
        and drivers.week_start = banded.week_start
        and drivers.shortfall_rank = 1
    inner join facts
        on facts.account_id = banded.account_id
        and facts.week_start = banded.week_start
    where banded.band_rank = 1
)
{%- if is_incremental() %},

{#- the week read only for the change is not replaced -#}
rescored_final as (
    select final.*
    from final
    inner join rescored_reads
        on rescored_reads.account_id = final.account_id
        and final.week_start >= rescored_reads.rescore_from_week
)

select * from rescored_final
{%- else %}

select * from final
{%- endif %}
