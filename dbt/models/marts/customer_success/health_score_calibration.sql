{#- How well the churn probability (account_churn_probability) would have done: for every quarter, the
    bins are fitted only on the weeks whose whole horizon ended before the quarter began, and the
    quarter's known weeks are scored with them. Three sections:
    - brier: per quarter and pooled (quarter_start null), the Brier score of those probabilities, of the
      base-rate forecast fitted the same way, and the skill (1 - brier / base_rate_brier);
    - calibration: pooled over the quarters, per score bin, the mean probability given against the rate
      observed;
    - fit: the bins as fitted on every known week today, which account_churn_probability uses. -#}
with

predictions as (
    select * from {{ ref('int_health_score_predictions') }}
),

weeks as (
    select * from {{ ref('int_health_score_known_weeks') }}
),

settings as (
    select * from {{ ref('backtest_settings') }}
),

periods as (
    select quarter_start as period_start, score_bin, outcome, probability, base_probability from predictions
    union all
    select cast(null as date) as period_start, score_bin, outcome, probability, base_probability from predictions
),

errors as (
    select
        period_start,
        count(*) as scored_weeks,
        sum(outcome) as outcomes,
        sum(probability) as probability_sum,
        sum((probability - outcome) * (probability - outcome)) as squared_error,
        sum((base_probability - outcome) * (base_probability - outcome)) as base_squared_error
    from periods
    group by period_start
),

calibration as (
    select
        score_bin,
        count(*) as scored_weeks,
        sum(outcome) as outcomes,
        sum(probability) as probability_sum
    from predictions
    group by score_bin
),

today_totals as (
    select count(*) as fit_weeks, sum(outcome) as fit_outcomes from weeks
),

today_bins as (
    select score_bin, count(*) as bin_weeks, sum(outcome) as bin_outcomes from weeks group by score_bin
),

sections as (
    select
        'brier' as section,
        period_start as quarter_start,
        cast(null as integer) as score_bin,
        scored_weeks,
        outcomes,
        {{ ratio('outcomes', 'scored_weeks', scale=0) }} as observed_rate,
        {{ ratio('probability_sum', 'scored_weeks', scale=6) }} as mean_probability,
        {{ ratio('squared_error', 'scored_weeks', scale=12) }} as brier,
        {{ ratio('base_squared_error', 'scored_weeks', scale=12) }} as base_rate_brier,
        {{ signed_ratio('base_squared_error - squared_error', 'base_squared_error', scale=12) }} as brier_skill
    from errors

    union all

    select
        'calibration',
        cast(null as date),
        score_bin,
        scored_weeks,
        outcomes,
        {{ ratio('outcomes', 'scored_weeks', scale=0) }},
        {{ ratio('probability_sum', 'scored_weeks', scale=6) }},
        null,
        null,
        null
    from calibration

    union all

    select
        'fit',
        cast(null as date),
        today_bins.score_bin,
        today_bins.bin_weeks,
        today_bins.bin_outcomes,
        {{ ratio('today_bins.bin_outcomes', 'today_bins.bin_weeks', scale=0) }},
        {{ churn_probability('today_bins.bin_outcomes', 'today_bins.bin_weeks', 'today_totals.fit_outcomes',
                             'today_totals.fit_weeks', 'settings.prior_weeks') }},
        null,
        null,
        null
    from today_bins
    cross join today_totals
    cross join settings
),

final as (
    select
        sections.*,
        settings.horizon_days,
        settings.loss_share,
        settings.prior_weeks
    from sections
    cross join settings
)

select * from final
