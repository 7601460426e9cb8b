"""The lake of CSW_ENGINE=spark (docs/scale-out.md): accepted raw rows out as Parquet, built marts back in.

    <lake>/raw/<table>/<load_id>.parquet   the rows of one accepted load, lineage columns included
    <lake>/raw/<table>/_columns.json       the columns the files were written with
    <lake>/marts/<mart>/part-*.parquet     written by Spark (dbt_project.yml, location_root)
    <lake>/seeds/<seed>/part-*.parquet     written by Spark after a build (macros/lake.sql)

The extract, the load verdicts and the raw checks stay in the DuckDB file (they are per-load work
and the ledger of what was accepted); `sync_raw` mirrors exactly the accepted loads into the lake
before dbt runs on Spark, and `import_marts` brings the built marts back into the DuckDB file's
`marts` schema, where the mart checks and the publish step read them as on a DuckDB run.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.contract import TABLES
from dagster_project.lib.extract import sql_literal
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
    finally:
        conn.close()
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
