"""Dagster definitions: they load from the defs/ folder, and hold what `dg dev` should show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, Definitions

from dagster_project.contract import TABLES
from dagster_project.definitions import defs as load_defs
from tests.helpers import REPO


@pytest.fixture(scope="module")
def defs() -> Definitions:
    return load_defs()


def test_dg_check_defs_passes() -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "check", "defs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_importing_the_package_does_no_work() -> None:
    """Importing the definitions starts no process of ours (dbt parse) and changes no environment variable."""
    code = (
        "import os, subprocess; before = dict(os.environ); calls = []; run = subprocess.run\n"
        "subprocess.run = lambda *a, **k: calls.append(a) or run(*a, **k)\n"
        "import dagster_project.definitions, dagster_project.cli, dagster_project.lib.quality\n"
        # Dagster's vendored croniter asks `file` about the interpreter at import: not ours
        "ours = [c for c in calls if 'file' not in str(c[0][:1])]\n"
        "assert not ours, ours; assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_every_source_table_has_an_extract_asset_feeding_dbt(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    for t in TABLES:
        assert AssetKey(["raw", t.raw_name]) in keys
    staged = AssetKey(["staging", "stg_crm__accounts"])
    assert staged in keys
    assert AssetKey(["raw", "crm__accounts"]) in graph.get(staged).parent_keys


def test_dbt_tests_are_asset_checks_and_extracts_have_a_blocking_check(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.path[-1], k.name) for k in graph.asset_check_keys}
    assert ("stg_crm__accounts", "unique_stg_crm__accounts_account_id") in checks
    assert ("crm__accounts", "no_quarantined_input") in checks


def test_job_and_schedule_exist(defs: Definitions) -> None:
    job = defs.resolve_job_def("warehouse_job")
    assert job is not None
    schedule = defs.resolve_schedule_def("daily_schedule")
    assert schedule.cron_schedule == "0 6 * * *"


def test_every_duckdb_writer_is_in_the_duckdb_pool(defs: Definitions) -> None:
    for assets_def in defs.assets:
        op = assets_def.op if hasattr(assets_def, "op") else None
        if op is None:
            continue
        assert op.pool == "duckdb", f"{op.name} writes DuckDB but is not in the duckdb pool"
