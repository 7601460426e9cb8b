"""What a build read, in one fingerprint: so a run that would read nothing new can say so and stop.

A publication's marts are a function of its as-of date, the project (dbt models, macros, seeds and tests,
the expectation suites, the pipeline's code, the engine) and the raw state: which loads exist and their
verdicts, people's decisions on loads and on the score, erasures. The dbt step records the fingerprint of
all of that when it starts (`raw._build_inputs`); publish copies it into `_publish_log.inputs_fingerprint`.
A run for the same as-of date that finds no unread landing file and the same fingerprint would build and
publish the same marts again: `csw run` says so and does no extract, check or dbt work.

Plain Python: no Dagster imports; the caller passes a DuckDB connection and the folders.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.lib.loads import retired_after_acceptance

# The raw tables a build's result depends on besides the rows themselves (each row belongs to a load of
# `_load_log`, so a new, judged, decided or re-fingerprinted load changes the log).
STATE_TABLES = ("_load_log", "_load_decisions", "_erasures", "_score_decisions")
# The project files a build's result depends on, under each folder given.
PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".json", ".py", ".md"}
SKIPPED_DIRS = {"target", "logs", "__pycache__", ".pytest_cache", ".user.yml"}


def project_files(folders: Iterable[Path]) -> list[Path]:
    """Every project file under `folders`, in a stable order; dbt's output folders are not walked (dbt/target
    held 166,000 files in the bench's folder: walking them took 12 s)."""
    found: list[Path] = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            found += [
                Path(root) / f for f in sorted(files) if Path(f).suffix in PROJECT_SUFFIXES and f not in SKIPPED_DIRS
            ]
    return found


def project_fingerprint(folders: Iterable[Path], engine: str) -> str:
    """A hash of every project file under `folders` (path and bytes) and the engine."""
    h = hashlib.sha256(f"engine={engine}\n".encode())
    for folder in folders:
        for path in project_files([folder]):
            h.update(f"{path.relative_to(folder.parent)}\n".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def raw_state_fingerprint(conn: duckdb.DuckDBPyConnection) -> str:
    """A hash of the load log, the load and score decisions and the erasures, in any row order."""
    present = {
        r[0]
        for r in conn.execute(
            "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'raw'"
        ).fetchall()
    }
    h = hashlib.sha256()
    for table in STATE_TABLES:
        if table not in present:
            h.update(f"{table}: none\n".encode())
            continue
        count, digest = conn.execute(
            f"select count(*), md5(string_agg(md5(cast(t as varchar)), '' order by md5(cast(t as varchar)))) "
            f"from raw.{table} as t"
        ).fetchone()
        h.update(f"{table}: {count} {digest}\n".encode())
    return h.hexdigest()


def inputs_fingerprint(conn: duckdb.DuckDBPyConnection, project_folders: Iterable[Path], engine: str) -> str:
    return combined(project_fingerprint(project_folders, engine), raw_state_fingerprint(conn))


def combined(project: str, raw_state: str) -> str:
    return hashlib.sha256(f"{project}:{raw_state}".encode()).hexdigest()


def record_build_inputs(
    conn: duckdb.DuckDBPyConnection, run_id: str, fingerprint: str, project: str | None = None
) -> None:
    """Kept per run: publish reads its run's row (the raw state may move between the build and publish); the
    next build compares its project with `project` (a changed project rebuilds the incremental models)."""
    conn.execute(
        "create table if not exists raw._build_inputs (run_id varchar, recorded_at timestamptz, fingerprint varchar)"
    )
    conn.execute("alter table raw._build_inputs add column if not exists project varchar")
    conn.execute("delete from raw._build_inputs where run_id = ?", [run_id])
    conn.execute(
        "insert into raw._build_inputs (run_id, recorded_at, fingerprint, project) values (?, current_timestamp, ?, ?)",
        [run_id, fingerprint, project],
    )


def build_inputs(
    conn: duckdb.DuckDBPyConnection, run_id: str, db: str | None = None, column: str = "fingerprint"
) -> str | None:
    """What `run_id`'s dbt step recorded in the warehouse (attached as `db`, else the connection's own database):
    its inputs' `fingerprint` or its `project`'s; None when it recorded none (another build file, e.g. one
    `csw rebuild` made from the lake)."""
    database = db or conn.execute("select current_database()").fetchone()[0]
    exists = conn.execute(
        "select count(*) from duckdb_columns() where database_name = ? and schema_name = 'raw' "
        "and table_name = '_build_inputs' and column_name = ?",
        [database, column],
    ).fetchone()[0]
    if not exists:
        return None
    row = conn.execute(f'select {column} from "{database}".raw._build_inputs where run_id = ?', [run_id]).fetchone()
    return row[0] if row else None


def full_rebuild_reason(conn: duckdb.DuckDBPyConnection, previous: dict | None, project: str) -> str | None:
    """Why this build must rebuild every incremental model (None: it need not). `previous` is the current
    publication's log entry (None: nothing published yet), `project` this build's project fingerprint."""
    # an accepted load retired since then may have rows in incremental models a failed build wrote
    retired = retired_after_acceptance(conn, previous["published_at"] if previous else None)
    if retired:
        return f"accepted load(s) {', '.join(retired)} retired since the last publication"
    # an incremental model keeps rows an earlier definition built: a changed model, macro or seed rebuilds
    # them all once (a publication from before the fingerprint was recorded counts as changed)
    if previous and build_inputs(conn, previous["run_id"], column="project") != project:
        return "the project (models, macros, seeds, code) changed since the last publication"
    return None


def warehouse_tables(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """Every table of the connection's own database, as (schema, name)."""
    return set(
        conn.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    )


def seeds_current(
    conn: duckdb.DuckDBPyConnection,
    previous: dict | None,
    project: str,
    run_id: str,
    seed_tables: Iterable[tuple[str, str]],
) -> bool:
    """Whether the warehouse's seed tables are what this project's seeds load, and passed their tests: the
    current publication's build (`previous`, its log entry) had this `project` (seeds included), so its
    seeds were loaded and tested from these files, or, by the same rule, an earlier publication's were; and no
    build since (`run_id` is this one) had another project, which would have reloaded them from other files;
    and every seed table (`seed_tables`: schema, name) is there (`csw erase` drops them with every table dbt
    built). Then a build need not load the seeds or test them again: 19 seeds and 37 tests that read only
    seeds, 56 of a build's ~290 nodes (9.7 s of 64 s of node time at the sample scale)."""
    if previous is None or not set(seed_tables) <= warehouse_tables(conn):
        return False
    published = conn.execute(
        "select recorded_at, project from raw._build_inputs where run_id = ?", [previous["run_id"]]
    ).fetchone()
    if published is None or published[1] != project:
        return False
    others = conn.execute(
        "select count(*) from raw._build_inputs where recorded_at >= ? and run_id <> ? and project is distinct from ?",
        [published[0], run_id, project],
    ).fetchone()[0]
    return others == 0


def unchanged_models(
    conn: duckdb.DuckDBPyConnection, since: datetime, reads: dict[str, tuple[tuple[str, str], list[str]]]
) -> list[str]:
    """The models of `reads` ({model: ((schema, table), the raw tables it reads)}, models that read only raw
    tables and seeds) whose raw tables took no load accepted after `since` (the newest acceptance the current
    publication's build read) and whose table is there: what the build they were last built and tested in
    read is what they would read now. Only valid where the seeds are current (`seeds_current`): the
    project is that build's, and a retired load rebuilds everything (`full_rebuild_reason`)."""
    changed = {
        row[0]
        for row in conn.execute(
            "select distinct table_name from raw._load_log where verdict = 'accepted' and verdict_at > ?", [since]
        ).fetchall()
    }
    present = warehouse_tables(conn)
    return sorted(model for model, (table, raw) in reads.items() if table in present and not set(raw) & changed)


# What the weekly models restated by window read (dbt/macros/restate_from.sql), per raw table: the column
# placing a new row's change in time (a subscription version changes the weeks from its effective_at on,
# seats and MRR before it stay; an event, its own week), or None when a change can reach every week (which
# features are core). Events also re-read the last `activity_lookback_weeks` weeks on every build.
RESTATED_BY_WINDOW_READ = {
    "billing__subscriptions": "effective_at",
    "product__events": "occurred_at",
    "product__features": None,
}
# Tables whose re-sent rows change nothing when an earlier accepted row has the same values in these
# columns (staging keeps one copy of an event_id; the weekly models read these fields of it): such a
# copy of an old event does not restate its week. A copy that differs does.
EXACT_COPY_COLUMNS = {"product__events": ("event_id", "account_id", "user_id", "event_name", "occurred_at")}


def restate_from(
    conn: duckdb.DuckDBPyConnection,
    since: datetime | None,
    previous_as_of: date | None,
    as_of: date,
    lookback_weeks: int,
) -> date | None:
    """The first week (a Monday) a build must restate, from the rows accepted after `since` (the newest
    acceptance the previous publication's build read) and the two as-of dates; None: every week (no previous
    build to start from, or a change that can reach any week)."""
    if since is None or previous_as_of is None:
        return None
    earliest = min(previous_as_of, as_of)
    # the weeks whose events are re-read (a later as-of date adds weeks, an earlier one drops them)
    week = earliest - timedelta(days=earliest.weekday()) - timedelta(weeks=lookback_weeks)
    for table, column in RESTATED_BY_WINDOW_READ.items():
        where = f"from raw_accepted.{table} as new where new._accepted_at > ?"
        try:
            if column is None:
                if conn.execute(f"select count(*) {where}", [since]).fetchone()[0]:
                    return None
                continue
            # only rows placed before the window so far can move it (a daily batch has none: one cheap scan)
            where += f" and timezone('UTC', new.{column}) < ?"
            params: list[object] = [since, datetime.combine(week, datetime.min.time())]
            if table in EXACT_COPY_COLUMNS:
                same = " and ".join(f"old.{c} is not distinct from new.{c}" for c in EXACT_COPY_COLUMNS[table])
                where += f" and not exists (select 1 from raw_accepted.{table} as old where old._accepted_at <= ? and {same})"
                params.append(since)
            first = conn.execute(
                f"select cast(date_trunc('week', min(timezone('UTC', new.{column}))) as date) {where}", params
            ).fetchone()[0]
        except (duckdb.CatalogException, duckdb.BinderException):  # no such table or column: assume the worst
            return None
        if first is not None:
            week = min(week, first)
    return week
