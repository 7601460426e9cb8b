"""Incremental runs: after a day of new data, every mart equals what a full refresh builds."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.generator import GeneratorOptions, generate
from tests.helpers import PIPELINE_OPTIONS, pipeline_env, run_csw


def mart_tables(conn: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = 'marts' order by 1", [db]
        ).fetchall()
    ]


def test_incremental_run_equals_full_refresh(workspace: Path, tmp_path: Path) -> None:
    env = pipeline_env(workspace)
    # the next two days' extracts, on top of the published sample
    for day in (16, 17):
        generate(
            workspace / "landing",
            GeneratorOptions(
                accounts=PIPELINE_OPTIONS.accounts,
                months=PIPELINE_OPTIONS.months,
                seed=PIPELINE_OPTIONS.seed,
                as_of=date(2026, 11, day + 1),
                since=date(2026, 11, day),
            ),
        )
    incremental = run_csw(["run", "--as-of", "2026-11-18"], env)
    assert incremental.returncode == 0, incremental.stdout[-4000:]
    assert "is_incremental" not in incremental.stdout
    snapshot = tmp_path / "incremental.duckdb"
    shutil.copy(workspace / "warehouse.duckdb", snapshot)

    full = run_csw(["run", "--as-of", "2026-11-18", "--full-refresh"], env)
    assert full.returncode == 0, full.stdout[-4000:]

    conn = duckdb.connect()
    conn.execute(f"attach '{snapshot}' as inc (read_only)")
    conn.execute(f"attach '{workspace / 'warehouse.duckdb'}' as full_refresh (read_only)")
    marts = mart_tables(conn, "full_refresh")
    assert len(marts) >= 9 and marts == mart_tables(conn, "inc")
    for mart in marts + [
        "intermediate.int_account_weekly_activity",
        "intermediate.int_account_weekly_seen",
        "staging.stg_product__events",
    ]:
        name = mart if "." in mart else f"marts.{mart}"
        cols = "*" if "stg_product__events" not in name else "* exclude (loaded_at)"
        a = conn.execute(
            f"select count(*) from (select {cols} from inc.{name} except all select {cols} from full_refresh.{name})"
        ).fetchone()[0]
        b = conn.execute(
            f"select count(*) from (select {cols} from full_refresh.{name} except all select {cols} from inc.{name})"
        ).fetchone()[0]
        n = conn.execute(f"select count(*) from full_refresh.{name}").fetchone()[0]
        assert (a, b) == (0, 0), (
            f"{name}: {a} rows only in the incremental build, {b} only in the full refresh (of {n})"
        )
        assert n > 0
    new_weeks = conn.execute(
        "select count(*) from inc.marts.account_health_weekly where week_start = date '2026-11-16'"
    ).fetchone()[0]
    assert new_weeks > 0, "the incremental run added the new week"
