{#- The churn probability each known account-week would have been given at the start of its quarter:
    bins fitted only on the weeks whose whole horizon ended before that quarter began (macro
    churn_probability; docs/health-score.md, "Churn probability"). The first quarter with anything known
    before it is the first with a prediction. Read by health_score_calibration (Brier, calibration) and
    renewal_forecast_backtest (ARR kept). -#}
with

weeks as (
    select * from {{ ref('int_health_score_known_weeks') }}
),

settings as (
    select * from {{ ref('backtest_settings') }}
),

quarters as (
    select distinct quarter_start from weeks
),

{#- what was known when each quarter began -#}
known_then as (
    select quarters.quarter_start, weeks.score_bin, weeks.outcome
    from quarters
    inner join weeks
        on weeks.horizon_end <= cast(quarters.quarter_start as {{ dbt.type_timestamp() }})
),

fit_totals as (
    select quarter_start, count(*) as fit_weeks, sum(outcome) as fit_outcomes
    from known_then
    group by quarter_start
),

fit_bins as (
    select quarter_start, score_bin, count(*) as bin_weeks, sum(outcome) as bin_outcomes
    from known_then
    group by quarter_start, score_bin
),

final as (
    select
        weeks.account_id,
        weeks.week_start,
        weeks.quarter_start,
        weeks.mrr,
        weeks.score_bin,
        weeks.outcome,
        {{ churn_probability('coalesce(fit_bins.bin_outcomes, 0)', 'coalesce(fit_bins.bin_weeks, 0)',
                             'fit_totals.fit_outcomes', 'fit_totals.fit_weeks', 'settings.prior_weeks') }}
            as probability,
        {{ ratio('fit_totals.fit_outcomes', 'fit_totals.fit_weeks', scale=0) }} as base_probability
    from weeks
    inner join fit_totals
        on fit_totals.quarter_start = weeks.quarter_start
    left join fit_bins
        on fit_bins.quarter_start = weeks.quarter_start
        and fit_bins.score_bin = weeks.score_bin
    cross join settings
)

select * from final
