"""The lake: every accepted load as an immutable Parquet file with the ledger, and Spark's marts back in.

    <lake>/raw/<table>/<load_id>.parquet   the rows of one accepted load, lineage columns included
    <lake>/raw/<table>/_columns.json       the columns the files were written with
    <lake>/raw/_ledger/<table>.parquet     the load log, decisions, quarantined rows and source cursors
    <lake>/marts/<mart>/part-*.parquet     written by Spark (dbt_project.yml, location_root)
    <lake>/seeds/<seed>/part-*.parquet     written by Spark after a build (macros/lake.sql)

The extract, the load verdicts and the raw checks stay in the DuckDB file (they are per-load work
and the ledger of what was accepted); `sync_raw` mirrors exactly the accepted loads into the lake
before every dbt build (both engines), with a copy of the ledger, so the raw history survives the build
file: `rebuild_raw` (`csw rebuild`) makes a new build file from the lake alone. On Spark dbt reads the
lake, and `import_marts` brings the built marts back into the DuckDB file's `marts` schema, where the
mart checks and the publish step read them as on a DuckDB run.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.contract import TABLES
from dagster_project.lib.extract import META_COLUMNS, ensure_schema, sql_literal
from dagster_project.lib.loads import ACCEPTED_SCHEMA
from dagster_project.lib.publish import MARTS_SCHEMA

# a table with no accepted load still needs one file: Spark reads a folder's schema from its files
EMPTY_FILE = "empty.parquet"
COLUMNS_FILE = "_columns.json"
SEEDS_SCHEMA = "seeds"


@dataclass
class LakeSync:
    written: dict[str, int] = field(default_factory=dict)  # table -> loads written this time
    removed: dict[str, int] = field(default_factory=dict)  # table -> files of loads no longer accepted

    def summary(self) -> str:
        written, removed = sum(self.written.values()), sum(self.removed.values())
        return f"{written} accepted loads written to the lake, {removed} removed"


def sync_raw(warehouse_path: Path, lake_dir: Path, duckdb_config: dict[str, str]) -> LakeSync:
    """Make <lake>/raw hold exactly the accepted loads of every raw table: write the new ones (one
    Parquet file per load, renamed into place when complete), remove those no longer accepted
    (rejected or retired by a person), rewrite a table whose columns changed."""
    result = LakeSync()
    conn = duckdb.connect(str(warehouse_path), read_only=True, config=duckdb_config)
    try:
        for table in TABLES:
            name = table.raw_name
            folder = lake_dir / "raw" / name
            columns = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [ACCEPTED_SCHEMA, name],
            ).fetchall()
            if not columns:
                raise RuntimeError(
                    f"{ACCEPTED_SCHEMA}.{name} is missing from {warehouse_path}: run the extract before the lake sync"
                )
            signature = [list(c) for c in columns]
            marker = folder / COLUMNS_FILE
            if marker.exists() and json.loads(marker.read_text()) != signature:
                shutil.rmtree(folder)
            folder.mkdir(parents=True, exist_ok=True)
            accepted = {
                r[0]
                for r in conn.execute(f"select distinct _load_id from {ACCEPTED_SCHEMA}.{name}").fetchall()
                if r[0] is not None
            }
            present = {p.stem for p in folder.glob("*.parquet") if p.name != EMPTY_FILE}
            for load_id in sorted(accepted - present):
                _write(
                    conn,
                    f"select * from {ACCEPTED_SCHEMA}.{name} where _load_id = {sql_literal(load_id)}",
                    folder / f"{load_id}.parquet",
                )
            for load_id in present - accepted:
                (folder / f"{load_id}.parquet").unlink()
            empty = folder / EMPTY_FILE
            if accepted and empty.exists():
                empty.unlink()
            elif not accepted and not empty.exists():
                _write(conn, f"select * from {ACCEPTED_SCHEMA}.{name} where false", empty)
            marker.write_text(json.dumps(signature))
            if accepted - present:
                result.written[name] = len(accepted - present)
            if present - accepted:
                result.removed[name] = len(present - accepted)
        _sync_ledger(conn, lake_dir / "raw" / LEDGER_DIR)
    finally:
        conn.close()
    return result


LEDGER_DIR = "_ledger"
# the ledger: what was loaded from where with which verdict, a person's decisions, quarantined rows, and
# the cursors of the Stripe and PostgreSQL sources (each written whole, after the loads' files)
LEDGER = ("_load_log", "_load_decisions", "_quarantine_rows", "_stripe_cursors", "_pg_cursors", "_erasures")


def write_ledger(warehouse_path: Path, lake_dir: Path, duckdb_config: dict[str, str]) -> None:
    """The ledger alone into the lake (after `csw erase` re-fingerprinted landing files and recorded itself)."""
    conn = duckdb.connect(str(warehouse_path), read_only=True, config=duckdb_config)
    try:
        _sync_ledger(conn, lake_dir / "raw" / LEDGER_DIR)
    finally:
        conn.close()


def _sync_ledger(conn: duckdb.DuckDBPyConnection, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    present = {
        r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()
    }
    for name in LEDGER:
        if name in present:
            _write(conn, f"select * from raw.{name}", folder / f"{name}.parquet")


@dataclass
class Rebuilt:
    rows: dict[str, int] = field(default_factory=dict)  # raw table -> rows restored
    loads: int = 0  # accepted loads restored
    forgotten: list[str] = field(default_factory=list)  # loads not accepted: not in the lake

    def summary(self) -> str:
        return f"{self.loads} accepted loads, {sum(self.rows.values()):,} rows in {len(self.rows)} tables restored" + (
            f"; {len(self.forgotten)} pending or rejected load(s) left out (their files load again)"
            if self.forgotten
            else ""
        )


def rebuild_raw(warehouse_path: Path, lake_dir: Path, duckdb_config: dict[str, str]) -> Rebuilt:
    """A new build file holding the raw layer and its ledger as the lake keeps them (`csw rebuild`).

    The loads' rows come from their Parquet files, the ledger from `_ledger/`. Loads pending or rejected
    when the lake was last written have no rows there: they are left out of the load log, so their files,
    if still in the landing folder, are loaded and judged again. Refuses to overwrite a build file."""
    ledger = lake_dir / "raw" / LEDGER_DIR
    if warehouse_path.exists():
        raise RuntimeError(f"{warehouse_path} exists: move it aside first (csw rebuild never overwrites it)")
    if not (ledger / "_load_log.parquet").exists():
        raise RuntimeError(f"no raw history in {lake_dir} (no {ledger / '_load_log.parquet'}): nothing to rebuild from")
    result = Rebuilt()
    partial = warehouse_path.with_name(f".{warehouse_path.name}.rebuilding")
    partial.unlink(missing_ok=True)
    conn = duckdb.connect(str(partial), config=duckdb_config)
    try:
        conn.execute("set TimeZone = 'UTC'")
        for table in TABLES:
            ensure_schema(conn, table)
        for name in LEDGER:
            path = ledger / f"{name}.parquet"
            if not path.exists():
                continue
            exists = conn.execute(
                "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = ?", [name]
            ).fetchone()[0]
            if exists:
                conn.execute(f"insert into raw.{name} by name select * from read_parquet({sql_literal(str(path))})")
            else:
                conn.execute(f"create table raw.{name} as select * from read_parquet({sql_literal(str(path))})")
        result.forgotten = [
            r[0]
            for r in conn.execute(
                "select distinct load_id from raw._load_log where verdict in ('pending', 'rejected')"
            ).fetchall()
        ]
        conn.execute("delete from raw._load_log where verdict in ('pending', 'rejected')")
        for table in TABLES:
            files = sorted(p for p in (lake_dir / "raw" / table.raw_name).glob("*.parquet") if p.name != EMPTY_FILE)
            if not files:
                continue
            columns = ", ".join(f'"{c}"' for c in [*table.column_names, *(n for n, _ in META_COLUMNS)])
            listed = "[" + ", ".join(sql_literal(str(f)) for f in files) + "]"
            conn.execute(
                f"insert into raw.{table.raw_name} ({columns}) select {columns} "
                f"from read_parquet({listed}, union_by_name = true)"
            )
            result.rows[table.raw_name] = conn.execute(f"select count(*) from raw.{table.raw_name}").fetchone()[0]
            result.loads += len(files)
        conn.execute("checkpoint")
    finally:
        conn.close()
    os.replace(partial, warehouse_path)
    return result


def _write(conn: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    partial = path.with_name(f".{path.name}.partial")  # Spark skips names starting with a dot
    conn.execute(f"copy ({query}) to {sql_literal(str(partial))} (format parquet, compression zstd)")
    os.replace(partial, path)


def import_marts(
    lake_dir: Path, warehouse_path: Path, marts: list[str], seeds: list[str], duckdb_config: dict[str, str]
) -> dict[str, int]:
    """Copy the marts Spark built into the DuckDB file's `marts` schema, and the seeds into `seeds` (some
    mart checks compare a mart with a seed), in one transaction; returns rows per mart.

    Spark writes its timestamps as instants (Parquet's UTC-adjusted type); they are UTC by the
    warehouse's convention, so they come back as the naive timestamps a DuckDB build publishes."""
    tables = [(MARTS_SCHEMA, m) for m in marts] + [(SEEDS_SCHEMA, s) for s in seeds]
    missing = [f"{folder}/{name}" for folder, name in tables if not any((lake_dir / folder / name).glob("*.parquet"))]
    if missing:
        raise RuntimeError(f"missing from the lake {lake_dir}: {', '.join(missing)}; nothing was imported")
    conn = duckdb.connect(str(warehouse_path), config=duckdb_config)
    counts: dict[str, int] = {}
    try:
        conn.execute("begin")
        for schema, name in tables:
            conn.execute(f"create schema if not exists {schema}")
            files = sql_literal(str(lake_dir / schema / name / "*.parquet"))
            described = conn.execute(f"describe select * from read_parquet({files})").fetchall()
            select = ", ".join(
                f'cast(timezone(\'UTC\', "{column}") as timestamp) as "{column}"'
                if kind == "TIMESTAMP WITH TIME ZONE"
                else f'"{column}"'
                for column, kind, *_ in described
            )
            conn.execute(f'create or replace table {schema}."{name}" as select {select} from read_parquet({files})')
            if schema == MARTS_SCHEMA:
                counts[name] = conn.execute(f'select count(*) from {schema}."{name}"').fetchone()[0]
        conn.execute("commit")
    finally:
        conn.close()
    return counts
