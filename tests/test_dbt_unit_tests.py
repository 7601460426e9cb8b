"""dbt unit tests: the metric logic against hand-computed examples.

Production runs skip them (`dbt build --exclude-resource-type unit_test`: their inputs are
fixtures, so they say nothing new about a day's data), so CI runs them here, on a copy of
the sample warehouse (dbt reads the column types of each model's inputs from it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from dagster_project.lib.dbt_project import DBT_EXECUTABLE
from dagster_project.lib.settings import REPO_ROOT
from tests.helpers import pipeline_env, run_log

DBT_PROJECT_DIR = REPO_ROOT / "dbt"


def test_every_dbt_unit_test_passes(baseline: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(baseline / "warehouse.duckdb", warehouse)
    env = {**pipeline_env(baseline), "CSW_WAREHOUSE_PATH": str(warehouse)}
    target = tmp_path / "target"
    proc = subprocess.run(
        [str(DBT_EXECUTABLE), "test", "--select", "test_type:unit", "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env={**env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    defined = json.loads((target / "manifest.json").read_text())["unit_tests"]
    # the project's on-run-start/end hooks (no-ops on DuckDB) are results of their own
    results = [
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("unit_test.")
    ]
    assert len(defined) >= 15
    assert sorted(r["unique_id"] for r in results) == sorted(defined)
    assert {r["status"] for r in results} == {"pass"}


def test_production_runs_skip_unit_tests(pipeline_run) -> None:
    # the session's own run, from its log (dbt's newest target folder may be the other test worker's run)
    log = run_log(pipeline_run.output)
    assert "START sql table model" in log, "dbt's node lines are in the run's log"
    assert "START unit_test" not in log
