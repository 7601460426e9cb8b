"""The health backtest against an independent plain-Python computation on the sample: weekly MRR from
the staged subscription versions, the 90-day outcome of every known paying week, the pooled AUC by
counting pairs, and every churn-risk rule's precision; plus the targets the retuned seeds must meet."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.helpers import PipelineRun

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


@pytest.fixture(scope="module")
def outcomes(pipeline_run: PipelineRun) -> dict[tuple[str, object], bool]:
    """(account, week) -> churned or lost half its MRR within 90 days, for known, complete, paying weeks."""
    assert pipeline_run.returncode == 0, pipeline_run.output[-3000:]
    horizon, loss_share = pipeline_run.query("select horizon_days, loss_share from seeds.backtest_settings")[0]
    fx = {
        (m, c): Decimal(str(r))
        for m, c, r in pipeline_run.query("select month, currency, usd_per_unit from seeds.fx_rates")
    }
    factor = {
        c: Decimal(str(f)) for c, f in pipeline_run.query("select currency, minor_unit_factor from seeds.currencies")
    }
    versions = defaultdict(list)
    for account, cur, amount, start, end, active in pipeline_run.query(
        "select account_id, currency, monthly_amount_minor, valid_from, valid_to, is_recurring_revenue "
        "from intermediate.int_subscription_versions"
    ):
        versions[account].append((cur, Decimal(str(amount)), start, end, active))
    weeks = pipeline_run.query(
        "select week_start, snapshot_at, is_complete from intermediate.int_weeks order by week_start"
    )
    mrr: dict[str, list[tuple[datetime, object, bool, Decimal]]] = {}
    for account, vs in versions.items():
        first = min(v[2] for v in vs)
        series = []
        for week, snapshot, complete in weeks:
            if snapshot <= first:
                continue
            rate_month = (snapshot - timedelta(seconds=1)).date().replace(day=1)
            total = sum(
                (
                    (amount * factor[cur] * fx[(rate_month, cur)]).quantize(CENT, ROUND_HALF_UP)
                    for cur, amount, start, end, active in vs
                    if active and start < snapshot and (end is None or end >= snapshot)
                ),
                Decimal(0),
            )
            series.append((snapshot, week, complete, total))
        mrr[account] = series
    last = max(s[-1][0] for s in mrr.values())
    labels = {}
    for account, series in mrr.items():
        snapshots = [s[0] for s in series]
        for snapshot, week, complete, value in series:
            end = snapshot + timedelta(days=horizon)
            if not complete or value <= 0 or end > last:
                continue
            later = series[bisect_right(snapshots, snapshot) : bisect_left(snapshots, end, hi=len(series)) + 1]
            labels[(account, week)] = any(v <= (1 - loss_share) * value for s, _, _, v in later if s <= end)
    return labels


def test_pooled_auc_of_the_score_matches_counting_pairs(pipeline_run: PipelineRun, outcomes: dict) -> None:
    scores = {
        (a, w): s
        for a, w, s in pipeline_run.query(
            "select account_id, week_start, health_score from marts.account_health_weekly"
        )
    }
    known = [(scores[k], y) for k, y in outcomes.items() if k in scores]
    positives = sorted(s for s, y in known if y)
    negatives = sorted(s for s, y in known if not y)
    assert len(positives) > 100 and len(negatives) > 1000
    # pairs where the outcome week scored lower, ties counting half
    pairs = sum(
        (len(negatives) - bisect_right(negatives, s))
        + Decimal("0.5") * (bisect_right(negatives, s) - bisect_left(negatives, s))
        for s in positives
    )
    expected = (Decimal(pairs) / (len(positives) * len(negatives))).quantize(MICRO, ROUND_HALF_UP)
    row = pipeline_run.query(
        "select scored_weeks, outcomes, auc from marts.health_score_backtest "
        "where section = 'auc' and subject = 'health_score' and quarter_start is null"
    )[0]
    assert row == (len(known), len(positives), expected)


def test_every_rules_precision_matches_python(pipeline_run: PipelineRun, outcomes: dict) -> None:
    fired = defaultdict(list)
    for rule, account, week in pipeline_run.query(
        "select rule, account_id, week_start from marts.churn_risk_alerts where signal_type = 'churn_risk'"
    ):
        if (account, week) in outcomes:
            fired[rule].append(outcomes[(account, week)])
            fired["all_churn_risk"].append(outcomes[(account, week)])
    mart = {
        r: (n, f)
        for r, n, f in pipeline_run.query(
            "select subject, times_fired, followed_by_outcome from marts.health_score_backtest where section = 'alert_rule'"
        )
    }
    assert {r: (len(v), sum(v)) for r, v in fired.items()} == {r: v for r, v in mart.items() if v[0]}


def test_the_default_seeds_meet_their_targets_on_the_sample(pipeline_run: PipelineRun) -> None:
    """The retuning's promise (docs/health-score.md): a pooled AUC of at least 0.75, and at least one in
    three churn-risk alerts followed by churn or a halving of MRR within 90 days."""
    auc, precision, recall = pipeline_run.query(
        "select max(case when section = 'auc' and subject = 'health_score' and quarter_start is null then auc end), "
        "max(case when subject = 'all_churn_risk' then alert_precision end), "
        "max(case when subject = 'all_churn_risk' then recall end) from marts.health_score_backtest"
    )[0]
    assert auc >= Decimal("0.75"), auc
    assert precision >= Decimal(1) / 3, precision
    assert recall >= Decimal("0.8"), recall


def _auc(known: list[tuple[int, bool]]) -> Decimal:
    positives = sorted(s for s, y in known if y)
    negatives = sorted(s for s, y in known if not y)
    pairs = sum(
        (len(negatives) - bisect_right(negatives, s))
        + Decimal("0.5") * (bisect_right(negatives, s) - bisect_left(negatives, s))
        for s in positives
    )
    return (Decimal(pairs) / (len(positives) * len(negatives))).quantize(MICRO, ROUND_HALF_UP)


def test_published_outcome_weeks_reproduce_the_backtest(pipeline_run: PipelineRun, outcomes: dict) -> None:
    """Issue 32: an analyst recomputes the backtest from what is published. The published labels are the
    independent Python ones, and each quarter's AUC, its 95% interval (Hanley and McNeil over outcome
    events and accounts without the outcome) and its low-base flag follow from them."""
    published = pipeline_run.query(
        "select account_id, week_start, quarter_start, health_score, is_known, had_outcome, outcome_week "
        "from marts.health_score_outcomes_weekly"
    )
    known = {(a, w): (q, s, y, o) for a, w, q, s, k, y, o in published if k}
    assert known and {k: v[2] for k, v in known.items()} == {k: y for k, y in outcomes.items() if k in known}
    assert not [r for r in published if not r[4] and r[5] is not None]
    (min_outcomes,) = pipeline_run.query("select min_outcomes from seeds.backtest_settings")[0]
    mart = {
        q: (auc, low, high, flag)
        for q, auc, low, high, flag in pipeline_run.query(
            "select quarter_start, auc, auc_ci_low, auc_ci_high, is_low_base from marts.health_score_backtest "
            "where section = 'auc' and subject = 'health_score'"
        )
    }
    quarters = sorted({v[0] for v in known.values()})
    assert len(quarters) > 4
    for quarter in [*quarters, None]:
        weeks = {k: v for k, v in known.items() if quarter is None or v[0] == quarter}
        auc = _auc([(v[1], v[2]) for v in weeks.values()])
        events = len({(k[0], v[3]) for k, v in weeks.items() if v[2]})
        accounts = len({k[0] for k, v in weeks.items() if not v[2]})
        a = float(auc)
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        se = ((a * (1 - a) + (events - 1) * (q1 - a * a) + (accounts - 1) * (q2 - a * a)) / (events * accounts)) ** 0.5
        low = Decimal(str(max(0.0, a - 1.96 * se))).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        high = Decimal(str(min(1.0, a + 1.96 * se))).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        assert mart[quarter] == (auc, low, high, events < min_outcomes), quarter
