"""Load verdicts: a load (one landing file) is accepted or rejected by its blocking raw checks, for good.

A load's life, in `raw._load_log.verdict`:

    pending   loaded into raw, not judged yet (its rows are invisible to dbt)
    accepted  every blocking raw check passed, or a person accepted it: its rows reach staging
    rejected  a blocking raw check failed (`failed_checks`, `failure_detail`): invisible to dbt, and
              every run fails at that check until a person decides
    retired   a person rejected it for good: invisible to dbt, blocks nothing

dbt reads raw through the views in `raw_accepted` (one per raw table), which hold the rows of
accepted loads only, plus `_accepted_at`, when the load became visible. So rows that failed a check
never reach a model, a test or a mart: not on a retry, not on a later run. A person's decisions
(`csw loads accept|reject`) are kept in `raw._load_decisions` with who, when and why.

Plain Python: no Dagster imports; the caller passes a DuckDB connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from dagster_project.contract import Table

ACCEPTED_SCHEMA = "raw_accepted"
# The blocking raw checks a load can fail, as Dagster names them.
CONTRACT_CHECK = "no_quarantined_input"
SUITE_CHECK = "gx_raw_suite"
# Decided by the checks, not by a person.
BY_CHECKS = "raw checks"


@dataclass(frozen=True)
class Load:
    load_id: str
    table_name: str
    file_path: str
    rows_loaded: int
    rows_quarantined: int | None
    verdict: str
    failed_checks: str | None
    failure_detail: str | None
    run_id: str | None
    loaded_at: datetime
    verdict_at: datetime | None

    @property
    def label(self) -> str:
        return f"load {self.load_id} ({self.file_path})"


LOAD_COLUMNS = (
    "load_id, table_name, file_path, rows_loaded, rows_quarantined, verdict, failed_checks, failure_detail, "
    "run_id, loaded_at, verdict_at"
)


def ensure_load_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """The load log's verdict columns and the decisions table; loads from before verdicts are migrated once."""
    for column, kind in (
        ("run_id", "varchar"),
        ("verdict", "varchar"),
        ("failed_checks", "varchar"),
        ("failure_detail", "varchar"),
        ("verdict_at", "timestamptz"),
    ):
        conn.execute(f"alter table raw._load_log add column if not exists {column} {kind}")
    # Warehouses built before load verdicts: what loaded was used (accepted); a quarantined file
    # loaded nothing and blocked nothing (retired).
    conn.execute(
        """update raw._load_log
           set verdict = case status when 'loaded' then 'accepted' else 'retired' end, verdict_at = loaded_at
           where verdict is null"""
    )
    conn.execute(
        """create table if not exists raw._load_decisions (
            load_id varchar, table_name varchar, file_path varchar, decision varchar, decided_by varchar,
            decided_at timestamptz, reason varchar, failed_checks varchar, failure_detail varchar)"""
    )
    # the verdict a decision overrode: a retired load that was `accepted` had rows in staging (and may have
    # reached incremental models in a build that failed): the next build rebuilds in full
    conn.execute("alter table raw._load_decisions add column if not exists previous_verdict varchar")


def ensure_accepted_view(conn: duckdb.DuckDBPyConnection, table: Table) -> None:
    """`raw_accepted.<table>`: the rows of accepted loads, what every dbt source reads."""
    conn.execute(f"create schema if not exists {ACCEPTED_SCHEMA}")
    conn.execute(
        f"""create or replace view {ACCEPTED_SCHEMA}.{table.raw_name} as
            select rows.*, accepted.accepted_at as _accepted_at
            from raw.{table.raw_name} as rows
            inner join (
                select load_id, max(verdict_at) as accepted_at
                from raw._load_log
                where table_name = '{table.raw_name}' and verdict = 'accepted'
                group by load_id
            ) as accepted on rows._load_id = accepted.load_id"""
    )


def _loads(conn: duckdb.DuckDBPyConnection, where: str, params: Iterable[object] = ()) -> list[Load]:
    rows = conn.execute(
        f"select {LOAD_COLUMNS} from raw._load_log where {where} order by loaded_at, file_path", list(params)
    ).fetchall()
    return [Load(*row) for row in rows]


def loads_where(conn: duckdb.DuckDBPyConnection, where: str, params: Iterable[object] = ()) -> list[Load]:
    """The loads a condition on `raw._load_log` selects, oldest first."""
    return _loads(conn, where, params)


def pending_loads(conn: duckdb.DuckDBPyConnection, table: str) -> list[Load]:
    return _loads(conn, "table_name = ? and verdict = 'pending'", [table])


def rejected_loads(conn: duckdb.DuckDBPyConnection, table: str, check: str) -> list[Load]:
    """Loads of `table` that `check` rejected and nobody has decided on yet: they fail every run."""
    return _loads(
        conn,
        "table_name = ? and verdict = 'rejected' and list_contains(string_split(failed_checks, ','), ?)",
        [table, check],
    )


def judge(conn: duckdb.DuckDBPyConnection, load_id: str, failures: dict[str, str]) -> None:
    """Record the checks' verdict on a load: accepted when `failures` ({check: detail}) is empty."""
    conn.execute(
        """update raw._load_log
           set verdict = ?, failed_checks = ?, failure_detail = ?, verdict_at = ?
           where load_id = ?""",
        [
            "rejected" if failures else "accepted",
            ",".join(sorted(failures)) or None,
            "\n".join(failures[c] for c in sorted(failures)) or None,
            datetime.now(UTC),
            load_id,
        ],
    )


def blocking_message(loads: list[Load], check: str) -> str:
    """What an operator reads when a run stops at `check` because of rejected loads: which, why, what to do."""
    lines = [
        f"{len(loads)} load(s) rejected by {check}; their rows reach no model or mart, and every run stops here "
        "until someone decides (docs/quality.md, 'When a run fails'):"
    ]
    for load in loads:
        lines.append(f"- {load.label}, rejected {load.verdict_at:%Y-%m-%d %H:%M} UTC by run {load.run_id}:")
        lines += [f"    {line}" for line in (load.failure_detail or "").splitlines()]
    example = loads[0].load_id
    lines.append(
        "What to do: fix the data at its source and drop a corrected file (a new load), then retire the bad one: "
        f"`csw loads reject {example} --reason '...'`; or, if the data is right and the check too strict: "
        f"`csw loads accept {example} --reason '...'`."
    )
    return "\n".join(lines)


class DecisionError(ValueError):
    """A decision that cannot be taken on this load (unknown id, or its state does not allow it)."""


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def never_published(load: Load, published_through: datetime | None) -> bool:
    """An accepted load that no publication has read: accepted after the newest acceptance any publication's
    build read (`publish.published_through`; None: nothing was ever published)."""
    if load.verdict != "accepted" or load.verdict_at is None:
        return False
    return published_through is None or _utc_naive(load.verdict_at) > _utc_naive(published_through)


def decide(
    conn: duckdb.DuckDBPyConnection,
    load_id: str,
    decision: str,
    by: str,
    reason: str,
    published_through: datetime | None = datetime.max,
) -> Load:
    """A person's decision on a load: `accept` it (the failed checks are overridden) or `reject` it for good.

    Accepting a load the contract check rejected sends it back to `pending`: its rows that loaded
    still go through the raw suite on the next run; only the failed check is overridden. An accepted load
    that no publication has read (a dbt test failed on its rows) can be rejected too: `published_through`
    is the newest acceptance a publication read (None: nothing published; the default: every accepted load
    counts as published). One a publication has read stays: its records are retracted one by one.
    """
    if decision not in ("accept", "reject"):
        raise DecisionError(f"unknown decision {decision!r}: use accept or reject")
    if not reason.strip():
        raise DecisionError("a reason is required (--reason '...'): it is kept with the decision")
    found = _loads(conn, "load_id = ?", [load_id])
    if not found:
        raise DecisionError(f"no load {load_id!r} in raw._load_log (see `csw loads list`)")
    if len({load.table_name for load in found}) > 1:
        raise DecisionError(f"load id {load_id!r} names loads of several tables; decide on them one table at a time")
    load = found[0]
    allowed = {"accept": ("rejected",), "reject": ("pending", "rejected")}[decision]
    unpublished = decision == "reject" and all(never_published(item, published_through) for item in found)
    if not unpublished and any(item.verdict not in allowed for item in found):
        hint = (
            " A publication has read it (it was accepted before the newest build that published): to take back "
            "its rows, send a later version of each record with is_deleted = true (docs/quality.md)."
            if load.verdict == "accepted"
            else ""
        )
        raise DecisionError(
            f"{load.label} is {load.verdict}: only a {' or '.join(allowed)} load can be {decision}ed.{hint}"
        )
    if decision == "reject":
        verdict = "retired"
    elif CONTRACT_CHECK in (load.failed_checks or "").split(",") and load.rows_loaded:
        verdict = "pending"  # its loaded rows have not been through the raw suite yet
    else:
        verdict = "accepted"
    _record(conn, load, decision, by, reason, verdict)
    return _loads(conn, "load_id = ?", [load_id])[0]


def retired_after_acceptance(conn: duckdb.DuckDBPyConnection, since: datetime | None) -> list[str]:
    """Loads retired since `since` (UTC; None: ever) that had been accepted: their rows may sit in incremental
    models a failed build wrote, so the next build rebuilds in full."""
    ensure_load_tables(conn)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # the publish log's times are UTC
    rows = conn.execute(
        "select distinct load_id from raw._load_decisions where decision = 'reject' and previous_verdict = 'accepted' "
        "and (? is null or decided_at > ?)",
        [since, since],
    ).fetchall()
    return [r[0] for r in rows]


def _record(conn: duckdb.DuckDBPyConnection, load: Load, decision: str, by: str, reason: str, verdict: str) -> None:
    """Keep a decision (who, when, why, what it overrode) and give the load its new verdict, together."""
    now = datetime.now(UTC)
    conn.execute("begin transaction")
    try:
        conn.execute(
            "insert into raw._load_decisions (load_id, table_name, file_path, decision, decided_by, decided_at, "
            "reason, failed_checks, failure_detail, previous_verdict) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load.load_id,
                load.table_name,
                load.file_path,
                decision,
                by,
                now,
                reason,
                load.failed_checks,
                load.failure_detail,
                load.verdict,
            ],
        )
        conn.execute(
            "update raw._load_log set verdict = ?, verdict_at = ? where load_id = ?", [verdict, now, load.load_id]
        )
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


REMOVED_BY = "landing folder"


def retire_removed(conn: duckdb.DuckDBPyConnection, table: str, present: set[str]) -> list[Load]:
    """Retire the rejected loads of `table` whose file is no longer in the landing folder.

    Removing a rejected file is an operator's decision too (docs/quality.md): the load is
    retired, recorded like `csw loads reject`, and its rows never reach a model.
    """
    gone = [
        load
        for load in _loads(conn, "table_name = ? and verdict = 'rejected'", [table])
        if load.file_path not in present
    ]
    for load in gone:
        _record(conn, load, "reject", REMOVED_BY, "the file was removed from the landing folder", "retired")
    return gone


def list_loads(conn: duckdb.DuckDBPyConnection, rejected_only: bool = False, limit: int | None = None) -> list[Load]:
    where = "verdict = 'rejected'" if rejected_only else "true"
    loads = _loads(conn, where)
    return loads[-limit:] if limit else loads


def decisions(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    cur = conn.execute("select * from raw._load_decisions order by decided_at")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def accepted_before(conn: duckdb.DuckDBPyConnection, moment: datetime, db: str = "wh") -> datetime | None:
    """The newest acceptance of a load before `moment` (UTC, naive): all a dbt build started then reads."""
    row = conn.execute(
        f"select max(verdict_at) from {db}.raw._load_log where verdict = 'accepted' and verdict_at < ?",
        [moment.astimezone(UTC)],
    ).fetchone()
    return row[0].astimezone(UTC).replace(tzinfo=None) if row and row[0] else None


def overrides_json(conn: duckdb.DuckDBPyConnection, db: str = "wh") -> str:
    """Loads whose rows are published because a person accepted them: kept in `_publish_log`."""
    exists = conn.execute(
        f"select count(*) from duckdb_tables() where database_name = '{db}' and schema_name = 'raw' "
        "and table_name = '_load_decisions'"
    ).fetchone()[0]
    if not exists:
        return "[]"
    rows = conn.execute(
        f"""select d.load_id, d.table_name, d.file_path, d.decided_by, cast(d.decided_at as varchar), d.reason,
                   d.failed_checks
            from {db}.raw._load_decisions as d
            inner join {db}.raw._load_log as l on l.load_id = d.load_id and l.verdict = 'accepted'
            where d.decision = 'accept'
            order by d.decided_at"""
    ).fetchall()
    keys = ("load_id", "table", "file", "accepted_by", "accepted_at", "reason", "overridden_checks")
    return json.dumps([dict(zip(keys, row, strict=True)) for row in rows])
