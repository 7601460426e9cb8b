"""Restatements: a closed month's headline figure that changed between two publications, and why.

Every publication keeps its own headline monthly figures (`_headline_figures`: MRR, its movements and
logo churn per service tier from `saas_metrics_monthly`; NRR and GRR per tier, plan and region from
`nrr_monthly`). When a new version is published, each figure of a month that was already closed when
the previous version was published (the whole month before that version's as-of date) is compared with
the previous version's; every one that changed becomes a row of `metric_restatements`, which carries
the earlier publications' rows forward, so the list is the whole history of changes BI has seen.

**Causes.** The loads that changed what the build read between the two publications: loads accepted
after the previous build's newest acceptance (`checked_through`) up to this build's, and loads retracted
(retired after acceptance) since then. A load is named for a restated month only if its table feeds the
metric's mart (lineage from the dbt manifest, passed in) and its rows can reach the month: a row that
takes effect at `effective_at` (subscriptions) changes the months from then on; a table without such a
column (accounts: a tier or region changes every month's grouping) reaches every month. Each is
classified as

    retraction            a load that retracts records (`is_deleted` true), or one retired after acceptance
    backdated_amendment   a new version of a record already known, taking effect in a closed month
    late_record           a record first seen now, taking effect in a closed month ("late subscription")
    correction            anything else (an account's tier, region or plan changed)

A change no load explains (the models, seeds or rules changed) says so. Plain Python: no Dagster imports;
the caller passes a DuckDB connection with the new version attached as `pub`, the build as `wh` and
the previous publication (if any) as `prev`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from dagster_project.contract import TABLES_BY_NAME

# The column at which a row of the table takes effect; tables not listed reach every month.
EFFECTIVE_COLUMNS = {"billing__subscriptions": "effective_at", "billing__invoices": "issued_at"}
# mart -> (grouping columns as (segment_type, segment) expressions, figures)
HEADLINE = {
    "saas_metrics_monthly": (
        ("case when service_tier = 'all' then 'all' else 'service_tier' end", "service_tier"),
        (
            "mrr",
            "new_mrr",
            "reactivation_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "logo_churn_rate",
        ),
    ),
    "nrr_monthly": (("segment_type", "segment"), ("nrr", "grr")),
}
FIGURE_TYPE = "decimal(20, 6)"
KINDS = ("retraction", "backdated_amendment", "late_record", "correction")
UNEXPLAINED = (
    "no load accepted or retracted between the two publications reaches this month: the models, seeds or rules changed"
)

RESTATEMENT_COLUMNS = f"""
    month date, metric varchar, source_mart varchar, segment_type varchar, segment varchar,
    reported_value {FIGURE_TYPE}, restated_value {FIGURE_TYPE}, change {FIGURE_TYPE}, change_pct double,
    reported_version varchar, reported_as_of date, reported_at timestamp,
    restated_version varchar, restated_as_of date, restated_at timestamp,
    cause_kinds varchar, causes varchar, cause_loads varchar"""


@dataclass(frozen=True)
class Publication:
    version_id: str
    as_of_date: date
    published_at: datetime
    # the newest load acceptance its build read (UTC, naive)
    checked_through: datetime | None


@dataclass(frozen=True)
class Cause:
    load_id: str
    table_name: str
    file_path: str
    kind: str
    # the first month its rows reach (None: every month)
    first_month: date | None

    def text(self) -> str:
        table = self.table_name.replace("__", ".")
        return f"{self.kind.replace('_', ' ')}: {table} load {self.load_id} ({self.file_path})"


def write_headline_figures(conn: duckdb.DuckDBPyConnection, version_id: str) -> int:
    """`pub.main._headline_figures`: this version's headline monthly figures, one row per figure."""
    parts = []
    for mart, ((segment_type, segment), figures) in HEADLINE.items():
        for figure in figures:
            parts.append(
                f"""select '{version_id}' as version_id, month, '{figure}' as metric, '{mart}' as source_mart,
                       {segment_type} as segment_type, {segment} as segment,
                       cast({figure} as {FIGURE_TYPE}) as value
                    from pub.main.{mart}"""
            )
    conn.execute("create table pub.main._headline_figures as " + "\nunion all\n".join(parts))
    return conn.execute("select count(*) from pub.main._headline_figures").fetchone()[0]


def causes(
    conn: duckdb.DuckDBPyConnection,
    previous: Publication,
    through: datetime | None,
    retracted_until: datetime,
    lineage: Mapping[str, list[str]],
) -> list[Cause]:
    """The loads between `previous` and this build, of the tables that feed a headline mart, classified."""
    tables = sorted({t for mart in HEADLINE for t in lineage.get(mart, [])})
    if not tables:
        return []
    since = previous.checked_through or previous.published_at
    closed_before = previous.as_of_date.replace(day=1)
    table_list = ", ".join(f"'{t}'" for t in tables)
    accepted = conn.execute(
        f"""select load_id, table_name, file_path, 'accepted' from wh.raw._load_log
            where verdict = 'accepted' and table_name in ({table_list})
              and verdict_at > cast(? as timestamp) at time zone 'UTC'
              and (cast(? as timestamp) is null or verdict_at <= cast(? as timestamp) at time zone 'UTC')""",
        [since, through, through],
    ).fetchall()
    has_decisions = conn.execute(
        "select count(*) from duckdb_tables() where database_name = 'wh' and schema_name = 'raw' "
        "and table_name = '_load_decisions'"
    ).fetchone()[0]
    retracted = (
        conn.execute(
            f"""select distinct load_id, table_name, file_path, 'retracted' from wh.raw._load_decisions
            where decision = 'reject' and previous_verdict = 'accepted' and table_name in ({table_list})
              and decided_at > cast(? as timestamp) at time zone 'UTC'
              and decided_at <= cast(? as timestamp) at time zone 'UTC'""",
            [since, retracted_until],
        ).fetchall()
        if has_decisions
        else []
    )
    found = []
    for load_id, table, path, how in sorted(accepted + retracted):
        column = EFFECTIVE_COLUMNS.get(table)
        first = None
        kind = "retraction" if how == "retracted" or _deletes(conn, table, load_id) else "correction"
        if column:
            first = conn.execute(
                f"select cast(date_trunc('month', min({column})) as date) from wh.raw.{table} where _load_id = ?",
                [load_id],
            ).fetchone()[0]
            if kind == "correction" and first is not None and first < closed_before:
                key = TABLES_BY_NAME[table].key[0]
                known = conn.execute(
                    f"""select count(*) from wh.raw.{table} as r
                        where r._load_id = ? and r.{column} < ? and exists (
                            select 1 from wh.raw.{table} as earlier
                            inner join wh.raw._load_log as l on l.load_id = earlier._load_id
                            where earlier.{key} = r.{key} and l.verdict = 'accepted'
                              and l.verdict_at <= cast(? as timestamp) at time zone 'UTC')""",
                    [load_id, closed_before, since],
                ).fetchone()[0]
                kind = "backdated_amendment" if known else "late_record"
        found.append(Cause(load_id, table, path, kind, first))
    return found


def _deletes(conn: duckdb.DuckDBPyConnection, table: str, load_id: str) -> bool:
    """Whether the load retracts records (rows with `is_deleted` true: docs/quality.md, "Retract a record")."""
    if "is_deleted" not in TABLES_BY_NAME[table].column_names:
        return False
    return bool(
        conn.execute(f"select count(*) from wh.raw.{table} where _load_id = ? and is_deleted", [load_id]).fetchone()[0]
    )


def write_restatements(
    conn: duckdb.DuckDBPyConnection,
    previous: Publication | None,
    current: Publication,
    found: list[Cause],
    lineage: Mapping[str, list[str]],
) -> int:
    """`pub.main.metric_restatements`: the previous publication's rows, plus this publication's changes.

    Needs `pub.main._headline_figures` (this version) and, when `previous` is given, `prev` attached
    with its own `_headline_figures` (a publication from before restatements has none: nothing to
    compare)."""
    conn.execute(f"create table pub.main.metric_restatements ({RESTATEMENT_COLUMNS})")
    if previous is None:
        return 0
    prev_tables = {
        r[0]
        for r in conn.execute(
            "select table_name from duckdb_tables() where database_name = 'prev' and schema_name = 'main'"
        ).fetchall()
    }
    if "metric_restatements" in prev_tables:
        conn.execute("insert into pub.main.metric_restatements by name select * from prev.main.metric_restatements")
    if "_headline_figures" not in prev_tables:
        return 0
    changed = conn.execute(
        """select p.month, p.metric, p.source_mart, p.segment_type, p.segment, p.value, n.value
           from prev.main._headline_figures as p
           inner join pub.main._headline_figures as n
               on n.month = p.month and n.metric = p.metric and n.segment_type = p.segment_type
               and n.segment = p.segment
           where p.month < ? and p.value is distinct from n.value
           order by p.month, p.metric, p.segment_type, p.segment""",
        [previous.as_of_date.replace(day=1)],
    ).fetchall()
    rows = []
    for month, metric, mart, segment_type, segment, before, after in changed:
        feeding = set(lineage.get(mart, []))
        these = [c for c in found if c.table_name in feeding and (c.first_month is None or c.first_month <= month)]
        change = None if before is None or after is None else after - before
        rows.append(
            [
                month,
                metric,
                mart,
                segment_type,
                segment,
                before,
                after,
                change,
                round(float(change / before), 6) if change is not None and before else None,
                previous.version_id,
                previous.as_of_date,
                previous.published_at,
                current.version_id,
                current.as_of_date,
                current.published_at,
                ", ".join(k for k in KINDS if any(c.kind == k for c in these)) or "unexplained",
                "; ".join(c.text() for c in these) or UNEXPLAINED,
                json.dumps([c.load_id for c in these]),
            ]
        )
    if rows:
        conn.executemany(f"insert into pub.main.metric_restatements values ({', '.join('?' * 18)})", rows)
    return len(rows)


def largest(conn: duckdb.DuckDBPyConnection, version_id: str) -> dict | None:
    """The restatement of `version_id` that moved its figure most (relative change; dollars break ties)."""
    cur = conn.execute(
        """select * from metric_restatements where restated_version = ?
           order by abs(coalesce(change_pct, 0)) desc, abs(change) desc, month, metric limit 1""",
        [version_id],
    )
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None
