"""How well the churn-risk alerts and the health score warn, on one published warehouse (issue 30).

    .venv/bin/python bench/early_warnings.py data/published/marts.duckdb

Reads only published marts and prints: the pooled AUC of the score, the precision and recall of all
churn-risk alerts and of each rule, detection within 4 and 8 weeks by kind of churn, and the false-alert
share: of the accounts paying throughout the 8 weeks that end at the last week whose outcome is known and
that had no outcome from then to the end of their horizon, the share with a churn-risk alert in those 8
weeks. To compare two builds, run it on each (a sample of another seed: `csw generate --seed 11
--accounts 300 --out DIR/landing` and `csw run` with `CSW_DATA_DIR=DIR`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb


def _pct(share: object, width: int) -> str:
    return f"{100 * share:5.1f}%".rjust(width) if share is not None else "-".rjust(width)


def report(db: duckdb.DuckDBPyConnection) -> list[str]:
    lines = []
    (auc,) = db.execute(
        "select auc from health_score_backtest "
        "where section = 'auc' and subject = 'health_score' and quarter_start is null"
    ).fetchone()
    lines.append(f"pooled AUC of the score: {auc:.3f}")
    lines.append("rule                              fired  precision  recall  lead")
    for subject, fired, precision, recall, lead in db.execute(
        "select subject, times_fired, alert_precision, recall, median_lead_weeks from health_score_backtest "
        "where section = 'alert_rule' order by subject = 'all_churn_risk' desc, times_fired desc"
    ).fetchall():
        lines.append(
            f"{subject:32} {fired:6}  {_pct(precision, 9)}  {_pct(recall, 6)}  {lead if lead is not None else '-'}"
        )
    lines.append("kind of churn            events  warned 4w  warned 8w  median lead")
    for kind, n, w4, w8, lead in db.execute(
        "select churn_kind, outcome_events, warned_4w_share, warned_8w_share, median_lead_weeks "
        "from churn_detection_by_kind order by priority"
    ).fetchall():
        lines.append(f"{kind:24} {n:6}  {_pct(w4, 9)}  {_pct(w8, 9)}  {lead if lead is not None else '-'}")
    false_alerts, accounts = db.execute(
        """
        with known as (
            select max(week_start) as last_known from health_score_outcomes_weekly where is_known
        ),
        windowed as (
            select o.account_id, o.week_start, o.mrr, o.had_outcome
            from health_score_outcomes_weekly as o, known
            where o.week_start > known.last_known - interval 56 day and o.week_start <= known.last_known
        ),
        quiet as (
            select account_id
            from windowed
            group by account_id
            having count(*) = 8 and min(mrr) > 0 and not bool_or(had_outcome)
        ),
        alerted as (
            select distinct a.account_id
            from churn_risk_alerts as a, known
            where a.signal_type = 'churn_risk'
              and a.week_start > known.last_known - interval 56 day and a.week_start <= known.last_known
        )
        select count(alerted.account_id), count(*)
        from quiet left join alerted on alerted.account_id = quiet.account_id
        """
    ).fetchone()
    share = 100 * false_alerts / accounts if accounts else 0.0
    lines.append(
        f"false alerts: {false_alerts} of {accounts} accounts paying without an outcome "
        f"alerted in the last 8 known weeks ({share:.1f}%)"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("published", type=Path, help="a published marts.duckdb (data/published/marts.duckdb)")
    args = parser.parse_args(argv)
    if not args.published.exists():
        print(f"{args.published}: no such file (run `make run` first)", file=sys.stderr)
        return 2
    with duckdb.connect(str(args.published), read_only=True) as db:
        print("\n".join(report(db)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
