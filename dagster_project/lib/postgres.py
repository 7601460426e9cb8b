"""Read contract tables from PostgreSQL instead of the landing folder: incremental, idempotent, same checks.

A table bound in `postgres_bindings.yml` is read by its cursor column (the contract's `updated_at`):
each run asks for the rows with cursor >= the last high-water mark minus an overlap (a row committed
late with an older `updated_at` is still seen), in batches of `batch_rows` ordered by cursor and key,
each batch a query of its own (no transaction stays open between batches). A batch is written as a CSV
file next to the warehouse (`data/postgres/<source>/<table>/<date>/<load_id>.csv`) and loaded by the same
code as a landing file (`lib/extract.load_file`): the contract's columns and types, quarantine of bad
rows, a load id and a verdict, lineage (`_source_file` = `postgres:<schema>.<table>/<load_id>.csv`,
`_source_line` = the row's line in that file). Rows whose key and cursor are already in `raw` (the
overlap reads them again) are dropped before the load, so a second run loads nothing. The high-water
mark is written in the same DuckDB transaction as the batch: a failure mid-way leaves the committed
batches and nothing of the one in flight.

Client: psycopg 3 (docs/architecture.md, "PostgreSQL client"). Every column is selected as `::text`,
so values arrive as PostgreSQL prints them and are typed by DuckDB exactly as CSV cells are.
No Dagster here; settings are passed in.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dagster_project.contract import TABLES, Table
from dagster_project.lib.extract import (
    LoadResult,
    SourceFile,
    ensure_schema,
    load_or_quarantine,
    new_load_id,
    sha256,
    sql_literal,
)

CONNECT_TIMEOUT_SECONDS = 10


def require_psycopg() -> Any:
    """psycopg, an extra since the default install reads no PostgreSQL: say how to add it."""
    try:
        import psycopg
    except ImportError:
        raise ConnectionError(
            "the PostgreSQL source needs the `postgres` extra: `make setup-postgres` "
            "(or `.venv/bin/pip install -e '.[postgres]'`)"
        ) from None
    return psycopg


class BindingError(ValueError):
    """The bindings file or the bound table cannot be used; the message says which and what to do."""


@dataclass(frozen=True)
class Binding:
    table: Table
    schema: str
    relation: str
    cursor: str

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.relation}"'

    @property
    def label(self) -> str:
        return f"postgres:{self.schema}.{self.relation}"


def load_bindings(path: Path) -> dict[str, Binding]:
    """The bound tables by raw name (`billing__subscriptions`), checked against the contract."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise BindingError(f"{path}: cannot read the PostgreSQL bindings: {e}") from e
    by_name = {f"{t.source}/{t.name}": t for t in TABLES}
    bindings = {}
    for name, spec in (data.get("tables") or {}).items():
        if name not in by_name:
            raise BindingError(f"{path}: {name!r} is not a contract table; the tables are {', '.join(by_name)}")
        spec = spec or {}
        for key in ("schema", "table"):
            if not spec.get(key):
                raise BindingError(f"{path}: {name}: '{key}' is missing (schema, table and cursor name the source)")
        table = by_name[name]
        cursor = spec.get("cursor") or "updated_at"
        if cursor not in table.column_names or table.column(cursor).type != "timestamp":
            raise BindingError(f"{path}: {name}: cursor {cursor!r} must be a timestamp column of the contract table")
        bindings[table.raw_name] = Binding(table, str(spec["schema"]), str(spec["table"]), cursor)
    return bindings


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    url = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", url)


def _one_line(error: Exception) -> str:
    return redact("; ".join(line.strip() for line in str(error).strip().splitlines() if line.strip()))


def _ensure_cursor_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "create table if not exists raw._pg_cursors (table_name varchar, source varchar, "
        "high_water_mark timestamptz, updated_at timestamptz)"
    )


def high_water_mark(conn: duckdb.DuckDBPyConnection, table: Table) -> datetime | None:
    _ensure_cursor_table(conn)
    row = conn.execute("select high_water_mark from raw._pg_cursors where table_name = ?", [table.raw_name]).fetchone()
    return row[0] if row else None


def _key_text(table: Table) -> str:
    return " || '|' || ".join(f'"{k}"::text' for k in table.key)


def _write_batch(path: Path, columns: list[str], rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(row[: len(columns)] for row in rows)


def _drop_loaded_rows(conn: duckdb.DuckDBPyConnection, binding: Binding, path: Path) -> int:
    """Rewrite the batch file without the rows whose key and cursor `raw` already holds; return the rest."""
    table = binding.table
    p = sql_literal(str(path))
    conn.execute(
        f"create or replace temp table _pg_batch as select * from read_csv({p}, all_varchar = true, header = true)"
    )
    same = " and ".join(
        f'r."{c}" = try_cast(b."{c}" as {table.column(c).duckdb_type})' for c in (*table.key, binding.cursor)
    )
    new_rows = f"select b.* from _pg_batch b where not exists (select 1 from raw.{table.raw_name} r where {same})"
    try:
        total = conn.execute("select count(*) from _pg_batch").fetchone()[0]
        new = conn.execute(f"select count(*) from ({new_rows})").fetchone()[0]
        if 0 < new < total:
            conn.execute(f"copy ({new_rows}) to {p} (header true)")
        return new
    finally:
        conn.execute("drop table if exists _pg_batch")


def load_postgres_table(
    conn: duckdb.DuckDBPyConnection,
    binding: Binding,
    url: str,
    work_dir: Path,
    quarantine_dir: Path,
    batch_rows: int,
    overlap: timedelta,
    run_id: str | None = None,
) -> LoadResult:
    """Load the rows of one bound table that are new since the last run; safe to call again."""
    table = binding.table
    result = LoadResult(table.raw_name, run_id)
    conn.execute("set TimeZone = 'UTC'")
    ensure_schema(conn, table)
    hwm = high_water_mark(conn, table)
    start = hwm - overlap if hwm is not None else None
    psycopg = require_psycopg()
    try:
        pg = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS, options="-c TimeZone=UTC")
    except psycopg.Error as e:
        raise ConnectionError(f"{binding.label}: cannot connect to {redact(url)}: {_one_line(e)}") from None
    with pg:
        present = {
            r[0]
            for r in pg.execute(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                [binding.schema, binding.relation],
            ).fetchall()
        }
        if not present:
            raise BindingError(
                f"{binding.label}: no such table or view, or the role cannot see it "
                f"(check {binding.schema}.{binding.relation} in postgres_bindings.yml and the role's grants)"
            )
        columns = [c for c in table.column_names if c in present]
        pageable = all(c in present for c in (*table.key, binding.cursor))
        select = ", ".join(f'"{c}"::text as "{c}"' for c in columns)
        last: tuple[str, str] | None = None
        while True:
            where, params = [], []
            if pageable and start is not None:
                where.append(f'"{binding.cursor}" >= %s')
                params.append(start)
            if pageable and last is not None:
                where.append(f'("{binding.cursor}", {_key_text(table)}) > (%s::timestamptz, %s)')
                params += list(last)
            extra = f', "{binding.cursor}"::text, {_key_text(table)}' if pageable else ""
            order = f' order by "{binding.cursor}", {_key_text(table)}' if pageable else ""
            sql = (
                f"select {select}{extra} from {binding.qualified}"
                + (" where " + " and ".join(where) if where else "")
                + f"{order} limit {int(batch_rows)}"
            )
            try:
                rows = pg.execute(sql, params).fetchall()
            except psycopg.OperationalError as e:
                raise ConnectionError(
                    f"{binding.label}: the server went away while reading ({_one_line(e)}); the batches "
                    f"committed before stay, nothing of this one was loaded; the next run goes on from there"
                ) from None
            if not rows:
                break
            loaded_at = datetime.now(UTC)
            load_id = new_load_id(loaded_at)
            path = work_dir / table.source / table.name / f"{loaded_at:%Y-%m-%d}" / f"{load_id}.csv"
            _write_batch(path, columns, rows)
            label = f"{binding.label}/{path.name}"
            if not pageable:  # a key or the cursor column is gone upstream: the contract check says which
                source = SourceFile(path, label, sha256(path), path.stat().st_size, 0)
                load_or_quarantine(conn, table, source, load_id, loaded_at, quarantine_dir, result)
                break
            last = (rows[-1][-2], rows[-1][-1])
            advance = [
                ("delete from raw._pg_cursors where table_name = ?", [table.raw_name]),
                (
                    "insert into raw._pg_cursors values (?, ?, cast(? as timestamptz), ?)",
                    [table.raw_name, binding.label, last[0], loaded_at],
                ),
            ]
            new = _drop_loaded_rows(conn, binding, path)
            if new == 0:  # the overlap again: nothing new in this batch
                path.unlink()
                result.files_skipped += 1
                conn.execute("begin transaction")
                for statement, values in advance:
                    conn.execute(statement, values)
                conn.execute("commit")
            else:  # hashed once it holds only the rows that load
                source = SourceFile(path, label, sha256(path), path.stat().st_size, 0)
                # a column dropped or renamed upstream quarantines the batch: the table stops here
                if not load_or_quarantine(conn, table, source, load_id, loaded_at, quarantine_dir, result, advance):
                    break
            if len(rows) < batch_rows:
                break
    return result
