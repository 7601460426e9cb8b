"""The lake of CSW_ENGINE=spark holds exactly the accepted loads, and the built marts come back whole.

No Spark here (tests/test_spark_equivalence.py runs it): the sync and the import are plain DuckDB work
on the sample's warehouse.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import TABLES
from dagster_project.lib.lake import COLUMNS_FILE, EMPTY_FILE, import_marts, sync_raw


def _lake_loads(lake: Path, table: str) -> set[str]:
    return {p.stem for p in (lake / "raw" / table).glob("*.parquet") if p.name != EMPTY_FILE}


def _accepted(warehouse: Path, table: str) -> tuple[set[str], int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        loads = {r[0] for r in con.execute(f"select distinct _load_id from raw_accepted.{table}").fetchall()}
        return loads, con.execute(f"select count(*) from raw_accepted.{table}").fetchone()[0]
    finally:
        con.close()


def _rows(lake: Path, table: str) -> int:
    return duckdb.execute(f"select count(*) from read_parquet('{lake / 'raw' / table}/*.parquet')").fetchone()[0]


def test_the_lake_mirrors_the_accepted_loads(workspace: Path) -> None:
    warehouse, lake = workspace / "warehouse.duckdb", workspace / "lake"
    # every run writes the lake before dbt builds (both engines): the sample's run wrote it
    ledger = lake / "raw" / "_ledger" / "_load_log.parquet"
    assert ledger.exists() and _lake_loads(lake, "crm__accounts")
    shutil.rmtree(lake)  # from nothing again
    first = sync_raw(warehouse, lake, {})
    assert ledger.exists()
    assert sum(first.written.values()) > 0 and not first.removed
    for table in TABLES:
        loads, rows = _accepted(warehouse, table.raw_name)
        assert _lake_loads(lake, table.raw_name) == loads, table.raw_name
        assert _rows(lake, table.raw_name) == rows, table.raw_name
        assert (lake / "raw" / table.raw_name / COLUMNS_FILE).exists()

    # a load no longer accepted (retired by a person) leaves the lake on the next sync; nothing else moves
    events = "product__events"
    retired = sorted(_lake_loads(lake, events))[0]
    con = duckdb.connect(str(warehouse))
    con.execute("update raw._load_log set verdict = 'retired' where load_id = ? and table_name = ?", [retired, events])
    con.close()
    second = sync_raw(warehouse, lake, {})
    assert second.removed == {events: 1} and not second.written
    loads, rows = _accepted(warehouse, events)
    assert retired not in _lake_loads(lake, events) and _lake_loads(lake, events) == loads
    assert _rows(lake, events) == rows

    # a table with no accepted load still has a file with its columns, which Spark needs for the schema
    con = duckdb.connect(str(warehouse))
    con.execute("update raw._load_log set verdict = 'retired' where table_name = 'crm__csms'")
    con.close()
    sync_raw(warehouse, lake, {})
    assert [p.name for p in (lake / "raw" / "crm__csms").glob("*.parquet")] == [EMPTY_FILE]
    assert _rows(lake, "crm__csms") == 0
    columns = json.loads((lake / "raw" / "crm__csms" / COLUMNS_FILE).read_text())
    described = duckdb.execute(f"describe select * from read_parquet('{lake / 'raw' / 'crm__csms' / EMPTY_FILE}')")
    assert [c[0] for c in described.fetchall()] == [c[0] for c in columns]


def test_imported_marts_replace_the_old_ones_whole_and_timestamps_stay_utc(workspace: Path) -> None:
    warehouse, lake = workspace / "warehouse.duckdb", workspace / "lake"
    folder = lake / "marts" / "dim_accounts"
    folder.mkdir(parents=True)
    seeds = lake / "seeds" / "health_bands"
    seeds.mkdir(parents=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        expected = con.execute("select count(*), min(created_at) from marts.dim_accounts").fetchone()
        # as Spark writes them: timestamps as UTC instants
        con.execute(
            "copy (select * replace (timezone('UTC', created_at) as created_at) from marts.dim_accounts) "
            f"to '{folder / 'part-00000.parquet'}' (format parquet)"
        )
        con.execute(f"copy (select * from seeds.health_bands) to '{seeds / 'part-00000.parquet'}' (format parquet)")
    finally:
        con.close()
    counts = import_marts(lake, warehouse, ["dim_accounts"], ["health_bands"], {})
    assert counts == {"dim_accounts": expected[0]}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*), min(created_at) from marts.dim_accounts").fetchone() == expected
        kind = con.execute(
            "select data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'dim_accounts' and column_name = 'created_at'"
        ).fetchone()[0]
        assert kind == "TIMESTAMP"
    finally:
        con.close()
    with pytest.raises(RuntimeError, match="marts/renewal_pipeline"):
        import_marts(lake, warehouse, ["dim_accounts", "renewal_pipeline"], [], {})
