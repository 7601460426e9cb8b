"""Guard the score: a change to its definition may not make it predict worse than what was last published.

When the health score's definition (every seed and model upstream of `health_score_backtest`: weights,
rules, bands, alert rules, their SQL; dbt's checksums from the manifest) differs from the one the last
publication was built with, the mart check of `health_score_backtest` also requires

    pooled AUC of the score                >= last published - max_auc_drop
    precision of all churn-risk alerts     >= last published - max_precision_drop

(tolerances in `dbt/seeds/score_guard.csv`), unless a person accepted this definition with a reason
(`csw score accept --reason ...`, kept in `raw._score_decisions` and in the publication's
`_publish_log.score_overrides`, as load overrides are). New data alone never trips it: a daily run
that only adds weeks keeps the definition. A published figure on a low base (fewer outcome events
than `backtest_settings.min_outcomes`) is not a baseline: nothing to compare.

Plain Python: no Dagster imports.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.marts import upstream

BACKTEST = "health_score_backtest"
SEED = "score_guard.csv"
# the two figures guarded, as (section, subject, column) of health_score_backtest's pooled rows
AUC = ("auc", "health_score", "auc")
PRECISION = ("alert_rule", "all_churn_risk", "alert_precision")


@dataclass(frozen=True)
class Figures:
    auc: float | None
    precision: float | None


@dataclass(frozen=True)
class Tolerance:
    max_auc_drop: float
    max_precision_drop: float


def tolerance(seeds_dir: Path) -> Tolerance:
    with (seeds_dir / SEED).open() as fh:
        row = next(csv.DictReader(fh))
    return Tolerance(float(row["max_auc_drop"]), float(row["max_precision_drop"]))


def definition(manifest: Mapping[str, Any] | Path, model: str = BACKTEST) -> str:
    """A fingerprint of everything the score's backtest is computed from, but the data: the dbt checksums
    of the seeds and models upstream of `model` (sources excluded), and of `model` itself."""
    if isinstance(manifest, Path):
        manifest = json.loads(manifest.read_text())
    nodes = manifest["nodes"]
    start = next(n for n in nodes if n.startswith("model.") and nodes[n]["name"] == model)
    seen = {start} | {n for n in upstream(manifest, model) if n in nodes}
    parts = sorted(f"{n}:{nodes[n]['checksum']['checksum']}" for n in seen)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def figures(conn: duckdb.DuckDBPyConnection, table: str) -> Figures:
    """The pooled figures of a `health_score_backtest` table (None where missing or on a low base)."""

    def one(section: str, subject: str, column: str) -> float | None:
        row = conn.execute(
            f"select {column}, is_low_base from {table} where section = ? and subject = ? and quarter_start is null",
            [section, subject],
        ).fetchone()
        return float(row[0]) if row and row[0] is not None and not row[1] else None

    return Figures(one(*AUC), one(*PRECISION))


def published_figures(published: Path) -> Figures | None:
    if not published.exists():
        return None
    conn = duckdb.connect(str(published), read_only=True)
    try:
        return figures(conn, BACKTEST)
    except duckdb.CatalogException:
        return None
    finally:
        conn.close()


def guard_expectations(previous: Figures, tol: Tolerance, why: str) -> list[dict]:
    """The generated expectations on `health_score_backtest` (empty when there is nothing to compare)."""
    out = []
    for (section, subject, column), before, drop, name in (
        (AUC, previous.auc, tol.max_auc_drop, "max_auc_drop"),
        (PRECISION, previous.precision, tol.max_precision_drop, "max_precision_drop"),
    ):
        if before is None:
            continue
        floor = round(before - drop, 6)
        out.append(
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {
                    "unexpected_rows_query": (
                        f"select subject, {column} from {{batch}} where section = '{section}' "
                        f"and subject = '{subject}' and quarter_start is null and {column} < {floor}"
                    ),
                    "description": f"score guard: pooled {column} of {subject}",
                },
                "meta": {
                    "notes": (
                        f"score guard ({why}): pooled {column} of {subject} was {before:.4f} in the last "
                        f"publication; it may not fall below {floor:.4f} (dbt/seeds/{SEED}: {name} {drop}). "
                        "If the change is meant, accept it: csw score accept --reason '...'"
                    )
                },
            }
        )
    return out


def ensure_decisions(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(
        """create table if not exists raw._score_decisions (
            definition varchar, decided_by varchar, decided_at timestamptz, reason varchar,
            published_auc double, published_precision double, accepted_auc double, accepted_precision double)"""
    )


def accepted(conn: duckdb.DuckDBPyConnection, current_definition: str, db: str | None = None) -> list[dict]:
    """The acceptances of `current_definition`, oldest first (`db`: the warehouse's name when attached)."""
    where = " and database_name = ?" if db else ""
    exists = conn.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = '_score_decisions'" + where,
        [db] if db else [],
    ).fetchone()[0]
    if not exists:
        return []
    cur = conn.execute(
        f"select * from {db + '.' if db else ''}raw._score_decisions where definition = ? order by decided_at",
        [current_definition],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def accept(
    conn: duckdb.DuckDBPyConnection, current_definition: str, previous: Figures | None, by: str, reason: str
) -> dict:
    """Record a person's acceptance of the score's current definition, with the figures it accepts."""
    if not reason.strip():
        raise ValueError("a reason is required (--reason '...'): it is kept with the decision")
    ensure_decisions(conn)
    built = figures(conn, f"marts.{BACKTEST}")
    before = previous or Figures(None, None)
    row = {
        "definition": current_definition,
        "decided_by": by,
        "decided_at": datetime.now(UTC),
        "reason": reason,
        "published_auc": before.auc,
        "published_precision": before.precision,
        "accepted_auc": built.auc,
        "accepted_precision": built.precision,
    }
    conn.execute(
        f"insert into raw._score_decisions ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
    )
    return row


def overrides_json(conn: duckdb.DuckDBPyConnection, current_definition: str | None, db: str | None = None) -> str:
    """The acceptances of the published definition, for `_publish_log.score_overrides`."""
    if not current_definition:
        return "[]"
    return json.dumps(accepted(conn, current_definition, db), default=str)
