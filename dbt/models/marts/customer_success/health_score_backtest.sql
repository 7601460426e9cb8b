{#- Does the health score predict churn, on this data? Every scored account-week whose outcome is
    known (int_account_weekly_outcomes: churn, or a loss of at least loss_share of MRR, within
    horizon_days) is judged three ways, each a `section`:
    - band: per health band, how many account-weeks were followed by the outcome, against the
      base rate (lift);
    - auc: per quarter and pooled (quarter_start null), the AUC of the score and of each
      component's points, in rank-sum form (ties share their average rank): the probability that
      an account-week followed by the outcome scored lower than one that was not; with a 95%
      interval (Hanley and McNeil's standard error over the independent units: outcome events and
      accounts without the outcome, not weeks) and periods with fewer than min_outcomes outcome
      events flagged is_low_base;
    - alert_rule: per churn-risk rule and for all of them, precision (share of firings followed by
      the outcome within the horizon), recall (share of outcome events preceded by a firing within
      recall_weeks) and the median lead time in weeks from firing to the outcome. -#}
with

health as (
    select * from {{ ref('account_health_weekly') }}
),

outcomes as (
    select * from {{ ref('int_account_weekly_outcomes') }}
    where is_known
),

alerts as (
    select * from {{ ref('churn_risk_alerts') }}
    where signal_type = 'churn_risk'
),

alert_rules as (
    select rule from {{ ref('alert_rules') }}
    where signal_type = 'churn_risk'
    union all
    select 'all_churn_risk' as rule
),

settings as (
    select * from {{ ref('backtest_settings') }}
),

scored as (
    select
        health.account_id,
        health.week_start,
        cast({{ dbt.date_trunc('quarter', 'health.week_start') }} as date) as quarter_start,
        health.health_band,
        health.health_score,
        health.usage_points,
        health.engagement_points,
        health.support_points,
        health.relationship_points,
        health.financial_points,
        case when outcomes.had_outcome then 1 else 0 end as outcome,
        outcomes.outcome_week
    from health
    inner join outcomes
        on outcomes.account_id = health.account_id
        and outcomes.week_start = health.week_start
),

periods as (
    select account_id, week_start, quarter_start as period_start, health_band, health_score, usage_points,
           engagement_points, support_points, relationship_points, financial_points, outcome, outcome_week
    from scored
    union all
    select account_id, week_start, cast(null as date) as period_start, health_band, health_score, usage_points,
           engagement_points, support_points, relationship_points, financial_points, outcome, outcome_week
    from scored
),

{#- the independent units behind a period's AUC: weeks of one account are not independent (one loss
    labels up to horizon_days / 7 weeks before it), so the interval counts outcome events and
    accounts without the outcome; and the period's accounts, which each AUC row reports -#}
period_units as (
    select
        period_start,
        count(distinct account_id) as accounts,
        count(distinct case when outcome = 0 then account_id end) as accounts_without_outcome
    from periods
    group by period_start
),

period_events as (
    select period_start, count(*) as outcome_events
    from (
        select distinct period_start, account_id, outcome_week
        from periods
        where outcome = 1
    ) as events
    group by period_start
),

base_rates as (
    select period_start, count(*) as scored_weeks, sum(outcome) as outcomes
    from periods
    group by period_start
),

band_rates as (
    select
        period_start,
        health_band as subject,
        count(*) as scored_weeks,
        count(distinct account_id) as accounts,
        sum(outcome) as outcomes
    from periods
    group by period_start, health_band
),

measures as (
    select period_start, account_id, outcome, 'health_score' as subject, health_score as measure_value from periods
    union all
    select period_start, account_id, outcome, 'product_usage', usage_points from periods
    union all
    select period_start, account_id, outcome, 'engagement', engagement_points from periods
    union all
    select period_start, account_id, outcome, 'support', support_points from periods
    union all
    select period_start, account_id, outcome, 'relationship', relationship_points from periods
    union all
    select period_start, account_id, outcome, 'financial', financial_points from periods
),

{#- The rank-sum form needs only, per period, subject and value, how many weeks had the value and how many
    of them were followed by the outcome: ranking every account-week instead took 2.0 s of this model's
    2.1 s at M (session 19). The lowest value ranks last (highest rank): a low score is the prediction of
    the outcome; ties share their average rank (the weeks with a higher value, then the middle of the
    value's own weeks). -#}
value_counts as (
    select period_start, subject, measure_value, count(*) as weeks, sum(outcome) as outcomes
    from measures
    group by period_start, subject, measure_value
),

ranked_values as (
    select
        value_counts.*,
        coalesce(sum(weeks) over (
            partition by period_start, subject order by measure_value desc
            rows between unbounded preceding and 1 preceding
        ), 0) + (weeks + 1) * 0.5 as average_rank
    from value_counts
),

rank_sums as (
    select
        ranked_values.period_start,
        ranked_values.subject,
        cast(sum(ranked_values.weeks) as {{ dbt.type_bigint() }}) as scored_weeks,
        max(period_units.accounts) as accounts,
        sum(ranked_values.outcomes) as outcomes,
        sum(ranked_values.outcomes * ranked_values.average_rank) as outcome_rank_sum
    from ranked_values
    inner join period_units
        on period_units.period_start = ranked_values.period_start
        or (period_units.period_start is null and ranked_values.period_start is null)
    group by ranked_values.period_start, ranked_values.subject
),

aucs as (
    select
        rank_sums.*,
        {{ ratio('outcome_rank_sum - outcomes * (outcomes + 1) * 0.5', 'outcomes * (scored_weeks - outcomes)') }}
            as auc,
        coalesce(period_events.outcome_events, 0) as outcome_events,
        period_units.accounts_without_outcome
    from rank_sums
    inner join period_units
        on period_units.period_start = rank_sums.period_start
        or (period_units.period_start is null and rank_sums.period_start is null)
    left join period_events
        on period_events.period_start = rank_sums.period_start
        or (period_events.period_start is null and rank_sums.period_start is null)
),

{#- Hanley and McNeil (1982): se = sqrt((A(1 - A) + (n1 - 1)(Q1 - A^2) + (n0 - 1)(Q2 - A^2)) / (n1 n0)),
    Q1 = A / (2 - A), Q2 = 2A^2 / (1 + A); n1 outcome events, n0 accounts without the outcome.
    In double precision from the six-decimal AUC, rounded to four decimals (DuckDB and Spark agree). -#}
auc_errors as (
    select
        aucs.*,
        case when auc is not null and outcome_events > 0 and accounts_without_outcome > 0 then
            sqrt((
                cast(auc as double) * (1 - cast(auc as double))
                + (outcome_events - 1) * (cast(auc as double) / (2 - cast(auc as double))
                                          - cast(auc as double) * cast(auc as double))
                + (accounts_without_outcome - 1) * (2 * cast(auc as double) * cast(auc as double)
                                                    / (1 + cast(auc as double))
                                                    - cast(auc as double) * cast(auc as double))
            ) / (cast(outcome_events as double) * accounts_without_outcome))
        end as auc_se
    from aucs
),

fired as (
    select alerts.rule, alerts.account_id, alerts.week_start, outcomes.had_outcome, outcomes.outcome_week
    from alerts
    inner join outcomes
        on outcomes.account_id = alerts.account_id
        and outcomes.week_start = alerts.week_start
    union all
    select 'all_churn_risk' as rule, alerts.account_id, alerts.week_start, outcomes.had_outcome, outcomes.outcome_week
    from alerts
    inner join outcomes
        on outcomes.account_id = alerts.account_id
        and outcomes.week_start = alerts.week_start
),

rule_precision as (
    select
        alert_rules.rule,
        count(fired.account_id) as times_fired,
        count(distinct fired.account_id) as accounts,
        sum(case when fired.had_outcome then 1 else 0 end) as followed_by_outcome,
        percentile_cont(0.5) within group (
            order by case when fired.had_outcome then {{ dbt.datediff('fired.week_start', 'fired.outcome_week', 'day') }} / 7 end
        ) as median_lead_weeks
    from alert_rules
    left join fired
        on fired.rule = alert_rules.rule
    group by alert_rules.rule
),

outcome_events as (
    select distinct account_id, outcome_week
    from outcomes
    where had_outcome
),

preceded as (
    select
        alert_rules.rule,
        outcome_events.account_id,
        outcome_events.outcome_week,
        max(case when alerts.account_id is not null then 1 else 0 end) as was_preceded
    from outcome_events
    cross join alert_rules
    cross join settings
    left join alerts
        on alerts.account_id = outcome_events.account_id
        and (alert_rules.rule = 'all_churn_risk' or alerts.rule = alert_rules.rule)
        and alerts.week_start < outcome_events.outcome_week
        and alerts.week_start >= cast({{ dbt.dateadd('day', '-7 * settings.recall_weeks', 'outcome_events.outcome_week') }} as date)
    group by alert_rules.rule, outcome_events.account_id, outcome_events.outcome_week
),

rule_recall as (
    select rule, count(*) as outcome_events, sum(was_preceded) as preceded_events
    from preceded
    group by rule
),

sections as (
    select
        'band' as section,
        band_rates.period_start,
        band_rates.subject,
        band_rates.scored_weeks,
        band_rates.accounts,
        band_rates.outcomes,
        {{ ratio('band_rates.outcomes', 'band_rates.scored_weeks') }} as outcome_rate,
        {{ ratio('base_rates.outcomes', 'base_rates.scored_weeks') }} as base_rate,
        {{ ratio('band_rates.outcomes * base_rates.scored_weeks', 'band_rates.scored_weeks * base_rates.outcomes') }}
            as lift,
        cast(null as decimal(12, 6)) as auc,
        cast(null as {{ dbt.type_bigint() }}) as times_fired,
        cast(null as {{ dbt.type_bigint() }}) as followed_by_outcome,
        cast(null as decimal(12, 6)) as alert_precision,
        cast(null as {{ dbt.type_bigint() }}) as outcome_events,
        cast(null as {{ dbt.type_bigint() }}) as preceded_events,
        cast(null as decimal(12, 6)) as recall,
        cast(null as {{ dbt.type_float() }}) as median_lead_weeks,
        cast(null as decimal(9, 4)) as auc_ci_low,
        cast(null as decimal(9, 4)) as auc_ci_high,
        cast(null as boolean) as is_low_base
    from band_rates
    inner join base_rates
        on base_rates.period_start = band_rates.period_start
        or (base_rates.period_start is null and band_rates.period_start is null)

    union all

    select
        'auc',
        period_start,
        subject,
        scored_weeks,
        accounts,
        outcomes,
        {{ ratio('outcomes', 'scored_weeks') }},
        {{ ratio('outcomes', 'scored_weeks') }},
        null,
        auc,
        null, null, null,
        outcome_events,
        null, null, null,
        cast(round(case when auc - 1.96 * auc_se < 0 then 0 else auc - 1.96 * auc_se end, 4) as decimal(9, 4)),
        cast(round(case when auc + 1.96 * auc_se > 1 then 1 else auc + 1.96 * auc_se end, 4) as decimal(9, 4)),
        outcome_events < min_outcomes
    from auc_errors
    cross join settings

    union all

    select
        'alert_rule',
        cast(null as date),
        rule_precision.rule,
        null,
        rule_precision.accounts,
        null,
        null,
        null,
        null,
        null,
        rule_precision.times_fired,
        rule_precision.followed_by_outcome,
        {{ ratio('rule_precision.followed_by_outcome', 'rule_precision.times_fired') }},
        rule_recall.outcome_events,
        rule_recall.preceded_events,
        {{ ratio('rule_recall.preceded_events', 'rule_recall.outcome_events') }},
        rule_precision.median_lead_weeks,
        null,
        null,
        null
    from rule_precision
    left join rule_recall
        on rule_recall.rule = rule_precision.rule
),

final as (
    select
        sections.section,
        sections.period_start as quarter_start,
        sections.subject,
        sections.scored_weeks,
        sections.accounts,
        sections.outcomes,
        sections.outcome_rate,
        sections.base_rate,
        sections.lift,
        sections.auc,
        sections.times_fired,
        sections.followed_by_outcome,
        sections.alert_precision,
        sections.outcome_events,
        sections.preceded_events,
        sections.recall,
        sections.median_lead_weeks,
        settings.horizon_days,
        settings.loss_share,
        sections.auc_ci_low,
        sections.auc_ci_high,
        sections.is_low_base
    from sections
    cross join settings
)

select * from final
