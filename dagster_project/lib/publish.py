"""Publish the marts for BI: a complete new database file, swapped in atomically.

Layout under `$CSW_PUBLISH_DIR` (default `data/published/`):

    marts.duckdb                 what BI opens (read-only); replaced with os.replace
    parquet -> versions/<id>/parquet   one Parquet file per mart (symlink, swapped atomically)
    versions/<id>/               the last N published versions, for rollback

A reader sees the old version or the new one, never a mix: the new file is
written completely elsewhere first. The published file uses an old storage
format so that BI drivers bundling DuckDB 1.x can open it (docs/bi.md).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from dagster_project.contract import TABLES
from dagster_project.lib.inputs import build_inputs
from dagster_project.lib.loads import accepted_before, overrides_json
from dagster_project.lib.restatements import Publication, causes, write_headline_figures, write_restatements
from dagster_project.lib.score_guard import overrides_json as score_overrides_json

PUBLISHED_FILE = "marts.duckdb"
# Readable by DuckDB >= 1.0 (JDBC/ODBC drivers and older CLIs bundle 1.x).
STORAGE_VERSION = "v1.0.0"
MARTS_SCHEMA = "marts"
# the mart `_freshness` extends with load times
FRESHNESS_MART = "source_freshness"


@dataclass
class PublishResult:
    version_id: str
    path: Path
    row_counts: dict[str, int]
    # closed-month headline figures that changed since the previous publication
    restatements: int = 0


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def high_water_marks(conn: duckdb.DuckDBPyConnection, db: str = "wh") -> dict[str, dict[str, str | None]]:
    marks: dict[str, dict[str, str | None]] = {}
    existing = {
        r[0]
        for r in conn.execute(
            f"select table_name from duckdb_tables() where database_name = '{db}' and schema_name = 'raw'"
        ).fetchall()
    }
    for t in TABLES:
        if t.raw_name not in existing:
            continue
        col = t.version_column or t.loaded_at_column
        latest, loaded = conn.execute(
            f"select cast(max({col}) as varchar), cast(max(_loaded_at) as varchar) from {db}.raw.{t.raw_name}"
        ).fetchone()
        marks[t.raw_name] = {f"max_{col}": latest, "max_loaded_at": loaded}
    return marks


def publish(
    warehouse_path: Path,
    publish_dir: Path,
    run_id: str,
    as_of: date,
    checks_run: int,
    checks_passed: int,
    marts: list[str],
    duckdb_config: dict[str, str],
    keep: int = 7,
    engine: str = "duckdb",
    build_started_at: datetime | None = None,
    lineage: dict[str, list[str]] | None = None,
    score_definition: str | None = None,
) -> PublishResult:
    """`lineage` (mart -> the raw tables it reads) lets a restatement name the loads that caused it."""
    now = datetime.now(UTC)
    version_id = f"{now:%Y%m%dT%H%M%S%f}-{run_id[:8]}"
    versions = publish_dir / "versions"
    staging = versions / f".tmp-{version_id}"
    staging.mkdir(parents=True)
    (staging / "parquet").mkdir()
    new_db = staging / PUBLISHED_FILE
    current = publish_dir / PUBLISHED_FILE

    conn = duckdb.connect(config=duckdb_config)
    try:
        conn.execute(f"attach {_quote(str(warehouse_path))} as wh (read_only)")
        conn.execute(f"attach {_quote(str(new_db))} as pub (storage_version '{STORAGE_VERSION}')")
        built = {
            r[0]
            for r in conn.execute(
                "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ?", [MARTS_SCHEMA]
            ).fetchall()
        }
        missing = sorted(set(marts) - built)
        if not marts or missing:
            raise RuntimeError(
                f"marts missing from schema '{MARTS_SCHEMA}' of {warehouse_path}: {', '.join(missing) or 'all'}; "
                "nothing was published"
            )
        counts = {mart: copy_mart(conn, mart, staging / "parquet" / f"{mart}.parquet") for mart in marts}
        marks = high_water_marks(conn)
        through = accepted_before(conn, build_started_at) if build_started_at else None
        overrides = overrides_json(conn)
        conn.execute(
            """create table pub.main._publish_log (
                run_id varchar, version_id varchar, published_at timestamp, as_of_date date,
                source_high_water_marks varchar, mart_row_counts varchar, marts_published integer,
                checks_run integer, checks_passed integer, load_overrides varchar, engine varchar,
                checked_through timestamp, score_definition varchar, score_overrides varchar,
                inputs_fingerprint varchar)"""
        )
        write_headline_figures(conn, version_id)
        if FRESHNESS_MART in marts:
            write_freshness(conn, now.replace(tzinfo=None))
        this = Publication(version_id, as_of, now.replace(tzinfo=None), through)
        previous = None
        if current.exists():
            conn.execute(f"attach {_quote(str(current))} as prev (read_only)")
            cur = conn.execute("select * from prev.main._publish_log order by published_at desc limit 1")
            last = cur.fetchone()
            if last:
                entry = dict(zip([d[0] for d in cur.description], last, strict=True))
                previous = Publication(
                    entry["version_id"], entry["as_of_date"], entry["published_at"], entry.get("checked_through")
                )
        found = causes(conn, previous, through, now, lineage or {}) if previous else []
        restated = write_restatements(conn, previous, this, found, lineage or {})
        conn.execute(
            f"copy pub.main.metric_restatements to {_quote(str(staging / 'parquet' / 'metric_restatements.parquet'))} "
            "(format parquet, compression zstd)"
        )
        if current.exists():
            # by name: a column added since is null in older entries, and one this version does not
            # have (written by a later version, before a rollback of the code) is left out
            ours = {r[0] for r in conn.execute("select column_name from (describe pub.main._publish_log)").fetchall()}
            theirs = [
                r[0] for r in conn.execute("select column_name from (describe prev.main._publish_log)").fetchall()
            ]
            kept = ", ".join(f'"{c}"' for c in theirs if c in ours)
            conn.execute(f"insert into pub.main._publish_log by name select {kept} from prev.main._publish_log")
            conn.execute("detach prev")
        conn.execute(
            "insert into pub.main._publish_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                version_id,
                now.replace(tzinfo=None),
                as_of,
                json.dumps(marks, sort_keys=True),
                json.dumps(counts, sort_keys=True),
                len(marts),
                checks_run,
                checks_passed,
                overrides,
                engine,
                through,
                score_definition,
                score_overrides_json(conn, score_definition, "wh"),
                build_inputs(conn, run_id, "wh"),
            ],
        )
        conn.execute("detach pub")
        conn.execute("detach wh")
    finally:
        conn.close()
    _fsync(new_db)

    final = versions / version_id
    os.rename(staging, final)
    swap_in(publish_dir, final)
    prune(publish_dir, keep)
    return PublishResult(version_id, current, counts, restated)


def write_freshness(conn: duckdb.DuckDBPyConnection, published_at: datetime) -> None:
    """`pub.main._freshness`: the source_freshness mart (newest record per source, judged against the as-of
    date) with when each source last loaded and was accepted, and how long before this publication."""
    conn.execute(
        f"""create table pub.main._freshness as
            select
                f.*,
                l.newest_loaded_at,
                l.newest_accepted_at,
                l.rows_loaded,
                cast(round(date_diff('minute', l.newest_loaded_at, cast(? as timestamp)) / 60.0, 1)
                    as decimal(9, 1)) as load_age_hours,
                cast(? as timestamp) as published_at
            from pub.main.{FRESHNESS_MART} as f
            left join (
                select table_name, timezone('UTC', max(loaded_at)) as newest_loaded_at,
                       timezone('UTC', max(verdict_at)) as newest_accepted_at,
                       sum(rows_loaded) as rows_loaded
                from wh.raw._load_log
                where verdict = 'accepted'
                group by table_name
            ) as l on l.table_name = f.source_table
            order by f.source_table""",
        [published_at, published_at],
    )


def copy_mart(conn: duckdb.DuckDBPyConnection, mart: str, parquet: Path) -> int:
    """One mart into the new published file and its Parquet file; returns its rows."""
    conn.execute(f'create table pub.main."{mart}" as select * from wh.{MARTS_SCHEMA}."{mart}"')
    conn.execute(f'copy pub.main."{mart}" to {_quote(str(parquet))} (format parquet, compression zstd)')
    return conn.execute(f'select count(*) from pub.main."{mart}"').fetchone()[0]


def swap_in(publish_dir: Path, version_dir: Path) -> None:
    """Make `version_dir` the published version: one atomic rename per entry point."""
    tmp = publish_dir / f".{PUBLISHED_FILE}.tmp"
    shutil.copyfile(version_dir / PUBLISHED_FILE, tmp)
    _fsync(tmp)
    os.replace(tmp, publish_dir / PUBLISHED_FILE)
    link, tmp_link = publish_dir / "parquet", publish_dir / ".parquet.tmp"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(Path("versions") / version_dir.name / "parquet", tmp_link)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp_link, link)


def list_versions(publish_dir: Path) -> list[str]:
    versions = publish_dir / "versions"
    if not versions.is_dir():
        return []
    return sorted(p.name for p in versions.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune(publish_dir: Path, keep: int) -> None:
    for name in list_versions(publish_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(publish_dir / "versions" / name)
    for leftover in (publish_dir / "versions").glob(".tmp-*"):  # from a run killed mid-publish
        shutil.rmtree(leftover, ignore_errors=True)


def current_log(publish_dir: Path) -> list[dict]:
    return _log_of(publish_dir / PUBLISHED_FILE)


def published_through(publish_dir: Path) -> datetime | None:
    """The newest load acceptance any publication on record may have read (UTC, naive); None if nothing was
    ever published. A load accepted later has reached no publication. The current file's log and the newest
    kept version's are read (after a rollback the newer one still counts: BI saw it); an entry from before
    `checked_through` existed counts up to its publish time."""
    logs = current_log(publish_dir)
    newest = list_versions(publish_dir)[-1:]
    if newest:
        logs += _log_of(publish_dir / "versions" / newest[0] / PUBLISHED_FILE)
    marks = [e.get("checked_through") or e.get("published_at") for e in logs]
    return max((m for m in marks if m is not None), default=None)


def _log_of(path: Path) -> list[dict]:
    if not path.exists():
        return []
    conn = duckdb.connect(str(path), read_only=True)
    try:
        cur = conn.execute("select * from _publish_log order by published_at")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


def checked_through(publish_dir: Path, engine: str) -> datetime | None:
    """The newest acceptance the current publication's dbt build read (UTC), if `engine` built it.

    Every row accepted until then passed that build's checks (dbt tests included), so a check that
    holds row by row or key by key need only look at rows accepted later
    (`dbt/macros/test_unique_since.sql`). None when nothing is published, the publication predates
    the column, or another engine built it (its checks ran on other tables)."""
    log = current_log(publish_dir)
    if not log or log[-1].get("engine") != engine:
        return None
    return log[-1].get("checked_through")


def rollback(publish_dir: Path) -> str:
    """Re-publish the version before the current one; returns its id."""
    log = current_log(publish_dir)
    if not log:
        raise RuntimeError(f"nothing is published in {publish_dir}")
    current = log[-1]["version_id"]
    older = [v for v in list_versions(publish_dir) if v < current]
    if not older:
        raise RuntimeError(f"no version older than {current} is kept in {publish_dir / 'versions'}")
    swap_in(publish_dir, publish_dir / "versions" / older[-1])
    return older[-1]
