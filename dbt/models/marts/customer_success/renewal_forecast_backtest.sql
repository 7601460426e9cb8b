{#- The churn probabilities in dollars, forecast against what happened: at the first scored week of
    every quarter, the book (accounts paying then) and the ARR expected to be kept over the next
    horizon_days (ARR x (1 - probability), the probability fitted only on what was known before the
    quarter: int_health_score_predictions), against the ARR of the accounts that did not churn or lose
    at least loss_share (an account with the outcome counts as lost whole), with the error in dollars
    and percent and whether the 90% interval held it. The last row is today's forecast for the coming
    horizon (forecast GRR), whose outcome is not known yet. -#}
with

predictions as (
    select * from {{ ref('int_health_score_predictions') }}
),

probabilities as (
    select * from {{ ref('account_churn_probability') }}
),

accounts as (
    select account_id, current_arr from {{ ref('dim_accounts') }}
),

settings as (
    select * from {{ ref('backtest_settings') }}
),

first_weeks as (
    select quarter_start, min(week_start) as week_start
    from predictions
    group by quarter_start
),

past as (
    select
        predictions.week_start,
        12 * predictions.mrr as arr,
        predictions.probability,
        predictions.outcome
    from predictions
    inner join first_weeks
        on first_weeks.week_start = predictions.week_start
),

today as (
    select
        probabilities.week_start,
        accounts.current_arr as arr,
        probabilities.churn_probability as probability,
        cast(null as integer) as outcome
    from probabilities
    inner join accounts
        on accounts.account_id = probabilities.account_id
    where accounts.current_arr > 0
),

books as (
    select week_start, arr, probability, outcome, true as is_known from past
    union all
    select week_start, arr, probability, outcome, false as is_known from today
),

aggregated as (
    select
        week_start,
        is_known,
        count(*) as accounts,
        sum(arr) as book_arr,
        sum(arr * (1 - probability)) as forecast_kept_arr,
        sum(cast(arr as double) * cast(arr as double) * cast(probability as double)
            * cast(1 - probability as double)) as kept_variance,
        sum(case when is_known then arr * (1 - outcome) end) as actual_kept_arr
    from books
    group by week_start, is_known
),

final as (
    select
        aggregated.week_start as forecast_week,
        aggregated.is_known,
        aggregated.accounts,
        cast(aggregated.book_arr as decimal(18, 2)) as book_arr,
        cast(round(aggregated.forecast_kept_arr, 2) as decimal(18, 2)) as forecast_kept_arr,
        cast(round(aggregated.forecast_kept_arr - 1.645 * sqrt(cast(aggregated.kept_variance as double)), 2)
             as decimal(18, 2)) as forecast_kept_low,
        cast(round(case when aggregated.forecast_kept_arr + 1.645 * sqrt(cast(aggregated.kept_variance as double))
                             > aggregated.book_arr then aggregated.book_arr
                        else aggregated.forecast_kept_arr + 1.645 * sqrt(cast(aggregated.kept_variance as double))
                   end, 2) as decimal(18, 2)) as forecast_kept_high,
        {{ ratio('round(aggregated.forecast_kept_arr, 2)', 'aggregated.book_arr') }} as forecast_grr,
        cast(aggregated.actual_kept_arr as decimal(18, 2)) as actual_kept_arr,
        {{ ratio('aggregated.actual_kept_arr', 'aggregated.book_arr') }} as actual_grr,
        cast(round(aggregated.forecast_kept_arr, 2) - aggregated.actual_kept_arr as decimal(18, 2)) as error_usd,
        {{ signed_ratio('round(aggregated.forecast_kept_arr, 2) - aggregated.actual_kept_arr',
                        'aggregated.actual_kept_arr') }} as error_share,
        settings.horizon_days,
        settings.loss_share
    from aggregated
    cross join settings
)

select * from final
