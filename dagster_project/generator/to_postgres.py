"""Move the bound tables of a generated sample from the landing folder into PostgreSQL.

An application database keeps one row per record, updated in place, not a file per day: each bound
table is created in its schema with the contract's columns, typed, and the record's key as primary
key, and filled with the latest version of every record (by `updated_at`; soft-deleted records keep
their `is_deleted` flag). The table's files then leave the landing folder, so the warehouse can only
find those rows in the database. The reader role gets SELECT and nothing else.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import psycopg

from dagster_project.lib.extract import FORMAT_BY_SUFFIX, sql_literal
from dagster_project.lib.postgres import Binding

PG_TYPES = {
    "string": "text",
    "integer": "bigint",
    "decimal": "numeric(18,4)",
    "boolean": "boolean",
    "timestamp": "timestamptz",
    "date": "date",
}


def _reader(files: list[Path]) -> str:
    kinds = {FORMAT_BY_SUFFIX[p.suffix.lower()] for p in files}
    paths = "[" + ", ".join(sql_literal(str(p)) for p in files) + "]"
    if kinds == {"csv"}:
        return f"read_csv({paths}, all_varchar = true, header = true, union_by_name = true)"
    if kinds == {"jsonl"}:
        return f"read_json({paths}, format = 'newline_delimited', union_by_name = true)"
    if kinds == {"parquet"}:
        return f"read_parquet({paths}, union_by_name = true)"
    raise ValueError(f"mixed file formats {sorted(kinds)}")


def load_into_postgres(landing: Path, url: str, bindings: dict[str, Binding], reader: str | None) -> dict[str, int]:
    """Create and fill each bound table from the landing files; return rows per table."""
    counts: dict[str, int] = {}
    with (
        psycopg.connect(url, options="-c TimeZone=UTC") as pg,
        duckdb.connect() as conn,
        tempfile.TemporaryDirectory() as tmp,
    ):
        conn.execute("set TimeZone = 'UTC'")
        for binding in bindings.values():
            table = binding.table
            folder = landing / table.source / table.name
            files = sorted(p for p in folder.glob("*/*") if p.is_file() and p.suffix.lower() in FORMAT_BY_SUFFIX)
            if not files:
                continue
            columns = ", ".join(f'cast("{c.name}" as varchar) as "{c.name}"' for c in table.columns)
            key = ", ".join(f'"{k}"' for k in table.key)
            csv_path = Path(tmp) / f"{table.raw_name}.csv"
            conn.execute(
                f"""copy (
                    select {columns} from {_reader(files)}
                    qualify row_number() over (
                        partition by {key} order by cast(updated_at as timestamptz) desc) = 1
                ) to '{csv_path}' (header true)"""
            )
            ddl = ", ".join(f'"{c.name}" {PG_TYPES[c.type]}{" not null" if c.required else ""}' for c in table.columns)
            pg.execute(f'create schema if not exists "{binding.schema}"')
            pg.execute(f"drop table if exists {binding.qualified}")
            pg.execute(f"create table {binding.qualified} ({ddl}, primary key ({key}))")
            with pg.cursor().copy(
                f"copy {binding.qualified} ({', '.join(chr(34) + c + chr(34) for c in table.column_names)}) "
                "from stdin with (format csv, header true)"
            ) as copy:
                copy.write(csv_path.read_bytes())
            pg.execute(f'create index on {binding.qualified} ("{binding.cursor}")')
            if reader:
                pg.execute(f'grant usage on schema "{binding.schema}" to "{reader}"')
                pg.execute(f'grant select on {binding.qualified} to "{reader}"')
            counts[table.raw_name] = pg.execute(f"select count(*) from {binding.qualified}").fetchone()[0]
            shutil.rmtree(folder)
        pg.commit()
    return counts
