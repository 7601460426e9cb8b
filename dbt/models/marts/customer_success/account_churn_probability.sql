{#- The probability that each account scored in the latest (as-of) week churns or loses at least
    loss_share of its MRR within horizon_days (backtest_settings): the outcome rate of its health-score
    bin among every known account-week (int_health_score_known_weeks), shrunk towards the overall rate
    by prior_weeks (macro churn_probability; the method and its backtest: health_score_calibration,
    docs/health-score.md "Churn probability"). -#}
with

health as (
    select * from {{ ref('account_health_weekly') }}
),

known as (
    select * from {{ ref('int_health_score_known_weeks') }}
),

settings as (
    select * from {{ ref('backtest_settings') }}
),

{#- the accounts scored in the latest week (the as-of week) -#}
latest as (
    select health.*
    from health
    inner join (select max(week_start) as week_start from health) as current_week
        on current_week.week_start = health.week_start
),

totals as (
    select count(*) as fit_weeks, sum(outcome) as fit_outcomes from known
),

bins as (
    select score_bin, count(*) as bin_weeks, sum(outcome) as bin_outcomes from known group by score_bin
),

final as (
    select
        latest.account_id,
        latest.week_start,
        latest.health_score,
        latest.health_band,
        {{ score_bin('latest.health_score', 'settings.probability_bin_points') }} as score_bin,
        {{ churn_probability('coalesce(bins.bin_outcomes, 0)', 'coalesce(bins.bin_weeks, 0)', 'totals.fit_outcomes',
                             'totals.fit_weeks', 'settings.prior_weeks') }} as churn_probability,
        {{ ratio('totals.fit_outcomes', 'totals.fit_weeks', scale=0) }} as base_rate,
        coalesce(bins.bin_weeks, 0) as bin_known_weeks,
        coalesce(bins.bin_outcomes, 0) as bin_outcomes,
        settings.horizon_days,
        settings.loss_share
    from latest
    cross join settings
    cross join totals
    left join bins
        on bins.score_bin = {{ score_bin('latest.health_score', 'settings.probability_bin_points') }}
)

select * from final
