"""Guard the score: a change to its definition that makes it predict worse fails the mart checks, unless accepted.

Hand-computed floors and fingerprints, then the pipeline: the last publication is made to look as if an
earlier definition of the score had reached a pooled AUC of 0.95; the run with the current definition
fails its mart checks with both figures, `csw score accept` records why, and the next run publishes.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dagster_project.lib.score_guard import Figures, Tolerance, definition, guard_expectations
from tests.helpers import pipeline_env, run_csw


def _manifest(checksums: dict[str, str]) -> dict:
    nodes = {
        "model.p.health_score_backtest": {"name": "health_score_backtest", "checksum": {"checksum": checksums["bt"]}},
        "model.p.account_health_weekly": {"name": "account_health_weekly", "checksum": {"checksum": checksums["h"]}},
        "seed.p.health_rules": {"name": "health_rules", "checksum": {"checksum": checksums["rules"]}},
        "model.p.nrr_monthly": {"name": "nrr_monthly", "checksum": {"checksum": checksums["nrr"]}},
    }
    parents = {
        "model.p.health_score_backtest": ["model.p.account_health_weekly"],
        "model.p.account_health_weekly": ["seed.p.health_rules", "source.p.product.events"],
        "model.p.nrr_monthly": [],
    }
    return {"nodes": nodes, "parent_map": parents}


def test_the_definition_is_what_the_backtest_is_computed_from() -> None:
    base = {"bt": "a", "h": "b", "rules": "c", "nrr": "d"}
    same = definition(_manifest(base))
    assert definition(_manifest({**base, "nrr": "changed"})) == same, "NRR does not feed the score"
    assert definition(_manifest({**base, "rules": "retuned"})) != same, "a rule change is a new definition"
    assert definition(_manifest({**base, "bt": "new SQL"})) != same


def test_floors_are_the_last_published_figures_less_the_tolerance() -> None:
    expectations = guard_expectations(Figures(0.7777, 0.4929), Tolerance(0.01, 0.05), "test")
    queries = [e["kwargs"]["unexpected_rows_query"] for e in expectations]
    assert queries[0].endswith("subject = 'health_score' and quarter_start is null and auc < 0.7677")
    assert queries[1].endswith("subject = 'all_churn_risk' and quarter_start is null and alert_precision < 0.4429")
    assert "was 0.7777" in expectations[0]["meta"]["notes"] and "below 0.7677" in expectations[0]["meta"]["notes"]
    assert guard_expectations(Figures(None, 0.5), Tolerance(0.01, 0.05), "test")[0]["kwargs"][
        "unexpected_rows_query"
    ].endswith("alert_precision < 0.45"), "a figure on a low base is no baseline: only the other is guarded"


def test_a_worse_definition_fails_until_accepted(workspace: Path) -> None:
    env = pipeline_env(workspace)
    published = workspace / "published" / "marts.duckdb"
    conn = duckdb.connect(str(published))
    current = conn.execute("select score_definition from _publish_log order by published_at desc limit 1").fetchone()
    assert current[0], "every publication records the score's definition"
    # as if the last publication had been built by an earlier definition that ranked churn far better (an
    # earlier project, so the next run is not one with nothing new)
    conn.execute("update _publish_log set score_definition = 'earlier', inputs_fingerprint = 'earlier project'")
    conn.execute(
        "update health_score_backtest set auc = 0.95 "
        "where section = 'auc' and subject = 'health_score' and quarter_start is null"
    )
    conn.close()

    failed = run_csw(["run", "--as-of", "2026-11-15"], env)
    assert failed.returncode != 0
    assert "FAILED CHECK marts/health_score_backtest:gx_mart_suite" in failed.stdout, failed.stdout[-3000:]
    assert "was 0.9500 in the last publication; it may not fall below 0.9400" in failed.stdout
    assert "health_score" in failed.stdout and "csw score accept" in failed.stdout

    accepted = run_csw(["score", "accept", "--reason", "retuned weights, reviewed", "--by", "qa"], env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    # the figure accepted is the one the failed run built (in the warehouse, not published)
    conn = duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
    (built,) = conn.execute(
        "select auc from marts.health_score_backtest "
        "where section = 'auc' and subject = 'health_score' and quarter_start is null"
    ).fetchone()
    conn.close()
    assert f"pooled AUC 0.95 -> {built:g}" in accepted.stdout, accepted.stdout

    again = run_csw(["run", "--as-of", "2026-11-15"], env)
    assert again.returncode == 0, again.stdout[-3000:]
    conn = duckdb.connect(str(published), read_only=True)
    definition_now, overrides = conn.execute(
        "select score_definition, score_overrides from _publish_log order by published_at desc limit 1"
    ).fetchone()
    conn.close()
    assert definition_now == current[0]
    (override,) = json.loads(overrides)
    assert override["reason"] == "retuned weights, reviewed" and override["decided_by"] == "qa"
    assert override["published_auc"] == 0.95
