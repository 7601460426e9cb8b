"""Restatements: a closed month's figure that changed between two publications, with the loads that changed it.

Hand-built warehouses (a few raw rows and the two headline marts, figures written by hand) published
with the real `publish`: what is compared, what is a closed month, and which load is named as the cause.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.loads import ensure_load_tables
from dagster_project.lib.publish import publish
from dagster_project.lib.restatements import largest

MARTS = ["saas_metrics_monthly", "nrr_monthly"]
LINEAGE = {
    "saas_metrics_monthly": ["billing__subscriptions"],
    "nrr_monthly": ["billing__subscriptions", "crm__accounts"],
}
SEPT, AUG, OCT = date(2026, 9, 1), date(2026, 8, 1), date(2026, 10, 1)


def _warehouse(path: Path) -> None:
    conn = duckdb.connect(str(path))
    conn.execute("create schema raw")
    conn.execute("create schema marts")
    conn.execute(
        """create table raw._load_log (load_id varchar, table_name varchar, file_path varchar, checksum varchar,
           file_format varchar, extract_date varchar, status varchar, rows_loaded bigint, rows_quarantined bigint,
           message varchar, loaded_at timestamptz)"""
    )
    ensure_load_tables(conn)
    conn.execute(
        """create table raw.billing__subscriptions (subscription_id varchar, effective_at timestamptz,
           unit_amount bigint, is_deleted boolean, updated_at timestamptz, _loaded_at timestamptz, _load_id varchar)"""
    )
    conn.execute(
        """create table raw.billing__invoices (invoice_id varchar, issued_at timestamptz, is_deleted boolean,
           updated_at timestamptz, _loaded_at timestamptz, _load_id varchar)"""
    )
    conn.execute(
        """create table marts.saas_metrics_monthly (month date, service_tier varchar, mrr decimal(18,2),
           new_mrr decimal(18,2), reactivation_mrr decimal(18,2), expansion_mrr decimal(18,2),
           contraction_mrr decimal(18,2), churned_mrr decimal(18,2), logo_churn_rate decimal(12,6))"""
    )
    conn.execute(
        """create table marts.nrr_monthly (month date, segment_type varchar, segment varchar,
           nrr decimal(12,6), grr decimal(12,6))"""
    )
    conn.close()


def _load(path: Path, load_id: str, table: str, at: str, rows: list[tuple]) -> None:
    conn = duckdb.connect(str(path))
    conn.execute(
        "insert into raw._load_log (load_id, table_name, file_path, status, rows_loaded, loaded_at, verdict, "
        "verdict_at) values (?, ?, ?, 'loaded', ?, ?, 'accepted', ?)",
        [load_id, table, f"landing/{table}/{load_id}.csv", len(rows), at, at],
    )
    for row in rows:
        marks = ", ".join("?" * (len(row) + 3))
        conn.execute(f"insert into raw.{table} values ({marks})", [*row, at, at, load_id])
    conn.close()


def _figures(path: Path, mrr: dict[date, float], nrr: dict[date, float]) -> None:
    conn = duckdb.connect(str(path))
    conn.execute("delete from marts.saas_metrics_monthly")
    conn.execute("delete from marts.nrr_monthly")
    for month, value in mrr.items():
        conn.execute("insert into marts.saas_metrics_monthly values (?, 'all', ?, 0, 0, 0, 0, 0, 0.05)", [month, value])
    for month, value in nrr.items():
        conn.execute("insert into marts.nrr_monthly values (?, 'plan', 'growth', ?, 0.9)", [month, value])
    conn.close()


def _publish(wh: Path, pub: Path, as_of: date, built: str) -> str:
    result = publish(
        wh,
        pub,
        run_id="0123456789",
        as_of=as_of,
        checks_run=1,
        checks_passed=1,
        marts=MARTS,
        duckdb_config={},
        build_started_at=datetime.fromisoformat(built).replace(tzinfo=UTC),
        lineage=LINEAGE,
    )
    return result.version_id


def _restatements(pub: Path) -> list[dict]:
    conn = duckdb.connect(str(pub / "marts.duckdb"), read_only=True)
    try:
        cur = conn.execute("select * from metric_restatements order by restated_at, month, metric")
        return [dict(zip([d[0] for d in cur.description], r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path]:
    """First publication, as of 2026-10-15: August and September are closed, October is not."""
    wh, pub = tmp_path / "warehouse.duckdb", tmp_path / "published"
    _warehouse(wh)
    _load(wh, "L1", "billing__subscriptions", "2026-10-14 00:00:00+00", [("S1", "2026-06-01 00:00:00+00", 100, False)])
    _figures(wh, {AUG: 100.00, SEPT: 100.00, OCT: 100.00}, {SEPT: 1.0})
    _publish(wh, pub, date(2026, 10, 15), "2026-10-15 01:00:00")
    assert _restatements(pub) == []
    return wh, pub


def test_a_backdated_amendment_and_a_late_subscription_restate_closed_months(published: tuple[Path, Path]) -> None:
    wh, pub = published
    # after the first publication: S1 amended back to 2026-09-10 (known record), S9 first seen, taking
    # effect 2026-08-20 (late), and a late invoice, which MRR does not read (lineage: subscriptions only)
    _load(wh, "L2", "billing__subscriptions", "2026-10-16 00:00:00+00", [("S1", "2026-09-10 00:00:00+00", 150, False)])
    _load(wh, "L3", "billing__subscriptions", "2026-10-16 01:00:00+00", [("S9", "2026-08-20 00:00:00+00", 40, False)])
    _load(wh, "L4", "billing__invoices", "2026-10-16 02:00:00+00", [("I7", "2026-09-05 00:00:00+00", False)])
    # by hand: August +40 (S9 from 08-20 at month end), September +50 (S1) +40 (S9), October open
    _figures(wh, {AUG: 140.00, SEPT: 190.00, OCT: 250.00}, {SEPT: 1.0})
    version = _publish(wh, pub, date(2026, 10, 20), "2026-10-20 01:00:00")

    rows = _restatements(pub)
    assert [(r["month"], r["metric"], r["segment_type"], r["segment"]) for r in rows] == [
        (AUG, "mrr", "all", "all"),
        (SEPT, "mrr", "all", "all"),
    ], "only closed months' changed figures (October was open at the first publication; NRR did not change)"
    aug, sept = rows
    assert (aug["reported_value"], aug["restated_value"], aug["change"]) == (100, 140, 40)
    assert aug["change_pct"] == pytest.approx(0.4)
    assert aug["cause_kinds"] == "late_record" and json.loads(aug["cause_loads"]) == ["L3"]
    assert (sept["reported_value"], sept["restated_value"], sept["change"]) == (100, 190, 90)
    assert sept["cause_kinds"] == "backdated_amendment, late_record"
    assert json.loads(sept["cause_loads"]) == ["L2", "L3"], "the invoice load L4 cannot move MRR"
    assert "billing.subscriptions load L2 (landing/billing__subscriptions/L2.csv)" in sept["causes"]
    assert sept["restated_version"] == version and sept["reported_as_of"] == date(2026, 10, 15)
    biggest = largest(duckdb.connect(str(pub / "marts.duckdb"), read_only=True), version)
    assert (biggest["month"], biggest["metric"]) == (SEPT, "mrr"), "90% beats 40%"


def test_a_retraction_is_named_and_earlier_restatements_are_kept(published: tuple[Path, Path]) -> None:
    wh, pub = published
    _load(wh, "L2", "billing__subscriptions", "2026-10-16 00:00:00+00", [("S1", "2026-09-10 00:00:00+00", 150, False)])
    _figures(wh, {AUG: 100.00, SEPT: 150.00, OCT: 100.00}, {SEPT: 1.0})
    _publish(wh, pub, date(2026, 10, 20), "2026-10-20 01:00:00")
    # the amendment retracted record by record; NRR for September moves too, with nothing in its lineage
    # but the same retraction (accounts did not change)
    _load(wh, "L5", "billing__subscriptions", "2026-10-21 00:00:00+00", [("S1", "2026-09-10 00:00:00+00", 150, True)])
    _figures(wh, {AUG: 100.00, SEPT: 100.00, OCT: 100.00}, {SEPT: 0.95})
    _publish(wh, pub, date(2026, 10, 22), "2026-10-22 01:00:00")

    rows = _restatements(pub)
    assert [(r["month"], r["metric"], r["change"]) for r in rows] == [
        (SEPT, "mrr", 50),
        (SEPT, "mrr", -50),
        (SEPT, "nrr", Decimal("-0.05")),
    ]
    assert rows[0]["cause_kinds"] == "backdated_amendment", "the earlier publication's row is kept"
    assert [r["cause_kinds"] for r in rows[1:]] == ["retraction", "retraction"]
    assert json.loads(rows[1]["cause_loads"]) == ["L5"]


def test_a_change_no_load_explains_says_so(published: tuple[Path, Path]) -> None:
    wh, pub = published
    _figures(wh, {AUG: 100.00, SEPT: 101.00, OCT: 100.00}, {SEPT: 1.0})
    _publish(wh, pub, date(2026, 10, 16), "2026-10-16 01:00:00")
    (row,) = _restatements(pub)
    assert row["cause_kinds"] == "unexplained" and "the models, seeds or rules changed" in row["causes"]
