"""Name the data behind a failed dbt test: sample failing rows and, where lineage allows, their file and line.

Read after dbt has exited (one writer at a time), on a read-only connection: each failed
test's compiled SQL gives its failing rows; for a generic test on a column of a model that
keeps lineage (staging: `_load_id`, `_source_file`, `_source_line`), the rows holding the
failing values are looked up in that model, so the operator knows which file to fix.

Plain Python: no Dagster imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.loads import loads_where, never_published

SAMPLE_ROWS = 5
LINEAGE = ("_load_id", "_source_file", "_source_line")


def describe_failed_tests(
    run_results: Mapping[str, Any],
    manifest: Mapping[str, Any],
    warehouse: Path,
    duckdb_config: dict[str, str],
    published_through: datetime | None = datetime.max,
) -> list[str]:
    """One paragraph per failed or errored test, with sample rows; empty if none failed. `published_through`
    (publish.published_through) tells loads no publication has read, which can simply be rejected."""
    failed = [r for r in run_results.get("results", []) if r["unique_id"].startswith("test.") and r["status"] == "fail"]
    if not failed:
        return []
    conn = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config)
    try:
        return [_describe(conn, result, manifest, published_through) for result in failed]
    finally:
        conn.close()


def _what_to_do(conn: duckdb.DuckDBPyConnection, load_ids: list[str], published_through: datetime | None) -> str:
    """Which case applies: loads no publication has read are rejected whole; published ones are corrected."""
    found = loads_where(conn, "load_id in (" + ", ".join("?" for _ in load_ids) + ")", load_ids) if load_ids else []
    fresh = sorted({load.load_id for load in found if never_published(load, published_through)})
    published = sorted({load.load_id for load in found} - set(fresh))
    lines = []
    if fresh:
        lines.append(
            f"  What to do: load(s) {', '.join(fresh)} were accepted after the last publication was built, so no "
            f"publication has read them: retire each with `csw loads reject {fresh[0]} --reason '...'` (its rows "
            "leave staging; the next run rebuilds incremental models in full), or send a corrected version of each "
            "record (a new file, later updated_at) or retract it (is_deleted = true); then run again "
            "(docs/quality.md, 'When a run fails')."
        )
    if published or not found:
        lines.append(
            f"  What to do{' for ' + ', '.join(published) if published and fresh else ''}: "
            "these rows come from accepted loads a publication has read; send a corrected version of each record "
            "(a new file, later updated_at) or retract it (is_deleted = true), then run again (docs/quality.md, "
            "'When a run fails')."
        )
    return "\n".join(lines)


def _describe(
    conn: duckdb.DuckDBPyConnection,
    result: Mapping[str, Any],
    manifest: Mapping[str, Any],
    published_through: datetime | None = datetime.max,
) -> str:
    node = manifest["nodes"].get(result["unique_id"], {})
    name = node.get("name", result["unique_id"])
    lines = [f"test {name} failed ({result.get('message') or 'failing rows'}):"]
    sql = result.get("compiled_code") or node.get("compiled_code")
    if not sql:
        return lines[0] + " (no compiled SQL to sample)"
    try:
        columns, rows = _query(conn, f"select * from ({sql}) as failing limit {SAMPLE_ROWS}")
    except duckdb.Error as e:
        return lines[0] + f" (could not sample its rows: {str(e).splitlines()[0]})"
    lines += [f"  {_row(columns, row)}" for row in rows]
    lineage = _lineage(conn, node, manifest, [row[0] for row in rows]) if rows else []
    if lineage:
        lines.append("  from (load, file, line):")
        lines += [f"  {_row(cols, row)}" for cols, row in lineage]
        load_ids = sorted({str(row[cols.index("_load_id")]) for cols, row in lineage})
        lines.append(_what_to_do(conn, load_ids, published_through))
    return "\n".join(lines)


def _lineage(
    conn: duckdb.DuckDBPyConnection, node: Mapping[str, Any], manifest: Mapping[str, Any], values: list[Any]
) -> list[tuple[list[str], tuple]]:
    """Rows of the tested model holding the failing values of the tested column, with their lineage."""
    column = node.get("column_name") or (node.get("test_metadata") or {}).get("kwargs", {}).get("column_name")
    model = manifest["nodes"].get(node.get("attached_node") or "", {})
    if not column or not model.get("relation_name"):
        return []
    relation = model["relation_name"]
    try:
        present = {c[0] for c in conn.execute(f"select * from {relation} limit 0").description}
    except duckdb.Error:
        return []
    if column not in present or not set(LINEAGE) <= present:
        return []
    known = [v for v in values if v is not None]
    conditions = [f'"{column}" is null'] if None in values else []
    if known:
        conditions.append(f'cast("{column}" as varchar) in ({", ".join("?" for _ in known)})')
    columns, rows = _query(
        conn,
        f'select "{column}", {", ".join(LINEAGE)} from {relation} where {" or ".join(conditions)} '
        f"order by _source_file, _source_line limit {SAMPLE_ROWS}",
        [str(v) for v in known],
    )
    return [(columns, row) for row in rows]


def _query(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple]]:
    cur = conn.execute(sql, params or [])
    return [d[0] for d in cur.description], cur.fetchall()


def _row(columns: list[str], row: tuple) -> str:
    return ", ".join(f"{c}={v!r}" if isinstance(v, str) else f"{c}={v}" for c, v in zip(columns, row, strict=True))
