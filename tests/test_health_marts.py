"""Health score and alerts on the generated sample: do they see what the generator planted?"""

from __future__ import annotations

from tests.helpers import PipelineRun

CHURN = """
    with churn as (
        select account_id, min(effective_at) as churned_at
        from staging.stg_billing__subscriptions
        where subscription_status = 'canceled'
        group by account_id
    )
"""


def test_churners_are_red_or_yellow_before_they_churn(pipeline_run: PipelineRun) -> None:
    churners, at_risk, red = pipeline_run.query(
        CHURN
        + """,
        before as (
            select h.account_id, arg_max(h.health_band, h.week_start) as band
            from marts.account_health_weekly h
            join churn using (account_id)
            where h.week_start between cast(churned_at as date) - interval 21 day and cast(churned_at as date) - interval 7 day
            group by h.account_id
        )
        select count(*), count(*) filter (where band in ('red', 'yellow')), count(*) filter (where band = 'red')
        from before"""
    )[0]
    assert churners >= 15
    assert at_risk / churners >= 0.9, f"{at_risk} of {churners} churners red or yellow a week before churning"
    everyone_red = pipeline_run.query(
        "select avg(case when health_band = 'red' then 1.0 else 0 end) from marts.account_health_weekly"
    )[0][0]
    assert red / churners > 2 * everyone_red, "churners are red far more often than the average account-week"


def test_churners_get_churn_risk_alerts_weeks_ahead(pipeline_run: PipelineRun) -> None:
    churners, alerted, median_weeks = pipeline_run.query(
        CHURN
        + """,
        warned as (
            select a.account_id, min(a.week_start) as first_alert
            from marts.churn_risk_alerts a
            join churn using (account_id)
            where a.signal_type = 'churn_risk'
              and a.week_start between cast(churned_at as date) - interval 56 day and cast(churned_at as date) - interval 7 day
            group by a.account_id
        )
        select count(*), count(warned.account_id),
               median(datediff('day', warned.first_alert, cast(churn.churned_at as date)) / 7.0)
        from churn left join warned using (account_id)"""
    )[0]
    assert alerted / churners >= 0.8, f"only {alerted} of {churners} churners were alerted in the 8 weeks before"
    assert median_weeks >= 3, f"median warning {median_weeks:.1f} weeks"


def test_expanders_fill_their_seats_before_expanding(pipeline_run: PipelineRun) -> None:
    expansions, signalled = pipeline_run.query("""
        with versions as (
            select account_id, seats, effective_at, subscription_status,
                   lag(seats) over (partition by subscription_id order by effective_at) as previous_seats,
                   lag(subscription_status) over (partition by subscription_id order by effective_at) as previous_status
            from staging.stg_billing__subscriptions
        ),
        expansions as (
            select account_id, effective_at from versions
            where subscription_status = 'active' and previous_status = 'active' and seats > previous_seats
        )
        select count(*), count(*) filter (where exists (
            select 1 from marts.churn_risk_alerts a
            where a.account_id = expansions.account_id and a.rule = 'seats_nearly_full'
              and a.week_start between cast(effective_at as date) - interval 42 day and cast(effective_at as date) - interval 1 day))
        from expansions""")[0]
    assert expansions >= 20
    assert signalled / expansions >= 0.8, f"{signalled} of {expansions} expansions had a seat-limit signal first"


def test_health_is_complete_and_consistent(pipeline_run: PipelineRun) -> None:
    bad = pipeline_run.query("""
        select count(*) from marts.account_health_weekly
        where health_score <> usage_points + engagement_points + support_points + relationship_points + financial_points
           or health_score not between 0 and 100""")[0][0]
    assert bad == 0
    missing = pipeline_run.query("""
        select count(*) from marts.dim_accounts d
        where d.is_active and d.health_score is null""")[0][0]
    assert missing == 0, "every paying account has a current health score"
    books = pipeline_run.query("select sum(accounts), sum(arr) from marts.csm_book_of_business")[0]
    dim = pipeline_run.query("select count(*), sum(current_arr) from marts.dim_accounts where is_active")[0]
    assert books == dim
    windows = {r[0] for r in pipeline_run.query("select distinct renewal_window from marts.renewal_pipeline")}
    assert windows <= {30, 60, 90} and windows
