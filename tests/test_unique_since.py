"""The `unique` test on event ids, scoped to the rows accepted since the current publication's run.

A daily run checks only the keys of newly accepted events against the whole table
(dbt/macros/test_unique_since.sql); these tests show it finds what the plain `unique` test over
every event finds when a new copy of an event published long ago slips into staging, and that
the pipeline hands it the start of the publication's run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.lib.dbt_project import DBT_EXECUTABLE
from dagster_project.lib.publish import checked_through
from dagster_project.lib.settings import REPO_ROOT
from tests.helpers import pipeline_env, run_csw

DBT_PROJECT_DIR = REPO_ROOT / "dbt"
TEST = "test_name:unique_since"
NAME = "unique_stg_product__events_event_id"  # the check's name in Dagster, as with the plain `unique`


def _dbt_test(warehouse: Path, env: dict[str, str], target: Path, through: str) -> tuple[int, str, list[tuple]]:
    """`dbt test` of the scoped unique test on a copy of the warehouse; its failing rows are stored."""
    proc = subprocess.run(
        [str(DBT_EXECUTABLE), "test", "--select", f"stg_product__events,{TEST}", "--store-failures"]
        + ["--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env={**env, "CSW_WAREHOUSE_PATH": str(warehouse), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
        | {"CSW_CHECKED_THROUGH": through},
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    tests = [r["unique_id"] for r in results if r["unique_id"].startswith("test.")]
    assert len(tests) == 1 and tests[0].startswith(f"test.cs_warehouse.{NAME}"), tests
    compiled = next(target.glob(f"compiled/**/{NAME}.sql")).read_text()
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        table = conn.execute(
            "select schema_name, table_name from duckdb_tables() where table_name = ?", [NAME]
        ).fetchone()
        failures = sorted(conn.execute(f'select * from "{table[0]}"."{table[1]}"').fetchall()) if table else []
    finally:
        conn.close()
    return proc.returncode, compiled, failures


def test_scoped_unique_finds_a_new_copy_of_an_old_event_as_the_full_test_does(workspace: Path, tmp_path: Path) -> None:
    # the next day's run: its publication records the newest acceptance its build read
    env = pipeline_env(workspace)
    proc = run_csw(["run", "--as-of", "2026-11-16"], env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    through = checked_through(workspace / "published", "duckdb")
    assert through is not None, "the publication records what its build read"
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(workspace / "warehouse.duckdb", warehouse)
    since = through.isoformat(sep=" ")

    # As published: nothing to report, and the scoped test reads only the newer rows' keys.
    code, compiled, failures = _dbt_test(warehouse, env, tmp_path / "clean", since)
    assert code == 0 and failures == []
    assert f"accepted_at > cast('{since}'" in compiled

    # A copy of the oldest event, accepted after the publication, which the deduplication let through.
    conn = duckdb.connect(str(warehouse))
    try:
        old_id, accepted = conn.execute(
            "select event_id, accepted_at from staging.stg_product__events order by occurred_at, event_id limit 1"
        ).fetchone()
        assert accepted.astimezone(UTC).replace(tzinfo=None) <= through
        conn.execute(
            "insert into staging.stg_product__events by name "
            "select * replace (cast(? as timestamptz) as accepted_at) from staging.stg_product__events where event_id = ?",
            [datetime.now(UTC), old_id],
        )
    finally:
        conn.close()

    scoped = _dbt_test(warehouse, env, tmp_path / "scoped", since)
    full = _dbt_test(warehouse, env, tmp_path / "full", "")
    assert "accepted_at >" not in full[1], "without a time the test checks every key"
    assert scoped[0] == full[0] == 1
    assert scoped[2] == full[2] == [(old_id, 2)]
