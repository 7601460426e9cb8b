"""Dagster definitions: they load, and hold what `dagster dev` should show."""

from __future__ import annotations

from dagster import AssetKey

from dagster_project.contract import TABLES
from dagster_project.definitions import defs


def test_every_source_table_has_an_extract_asset_feeding_dbt() -> None:
    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    for t in TABLES:
        assert AssetKey(["raw", t.raw_name]) in keys
    staged = AssetKey(["staging", "stg_crm__accounts"])
    assert staged in keys
    assert AssetKey(["raw", "crm__accounts"]) in graph.get(staged).parent_keys


def test_dbt_tests_are_asset_checks_and_extracts_have_a_blocking_check() -> None:
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.path[-1], k.name) for k in graph.asset_check_keys}
    assert ("stg_crm__accounts", "unique_stg_crm__accounts_account_id") in checks
    assert ("crm__accounts", "no_quarantined_input") in checks


def test_job_and_schedule_exist() -> None:
    job = defs.resolve_job_def("warehouse_job")
    assert job is not None
    schedule = defs.resolve_schedule_def("daily_schedule")
    assert schedule.cron_schedule == "0 6 * * *"


def test_every_duckdb_writer_is_in_the_duckdb_pool() -> None:
    for assets_def in defs.assets:
        op = assets_def.op if hasattr(assets_def, "op") else None
        if op is None:
            continue
        assert op.pool == "duckdb", f"{op.name} writes DuckDB but is not in the duckdb pool"
