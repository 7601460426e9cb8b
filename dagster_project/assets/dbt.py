"""The dbt project as Dagster assets: every seed and model an asset, every dbt test an asset check."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, Failure, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from dagster_project.dbt_failures import describe_failed_tests
from dagster_project.marts import mart_names
from dagster_project.run_context import FULL_REFRESH_TAG, as_of_for_run
from dagster_project.settings import DBT_PROJECT_DIR, get_settings

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
# read by the as_of_date() macro
AS_OF_ENV = "CSW_AS_OF_DATE"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return any(p.stat().st_mtime > built for p in sources)


def ensure_manifest() -> None:
    """Parse the dbt project when the manifest is missing or older than any project file."""
    if manifest_is_stale():
        get_settings().export_for_dbt()
        subprocess.run(
            [
                str(DBT_EXECUTABLE),
                "parse",
                "--quiet",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
            ],
            check=True,
            cwd=DBT_PROJECT_DIR,
        )


ensure_manifest()
# The published marts, one list for publish, the mart checks and status (dagster_project/marts.py).
MART_KEYS = [AssetKey(["marts", name]) for name in mart_names(Path(dbt_project.manifest_path))]


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt sources are the extract assets' tables: source('crm', 'accounts') is raw/crm__accounts."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", f"{dbt_resource_props['source_name']}__{dbt_resource_props['name']}"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None


translator = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
)


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's resource, minus two start-up costs we do not need (4 s of every run).

    Before each invocation dagster-dbt runs `dbt --version` in a subprocess and loads dbt's
    adapter and macros in-process; the adapter only serves `fetch_row_counts()` and column
    metadata, which we do not use (row counts are read after dbt exits), and the version is
    that of the dbt-core we install.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    get_settings().export_for_dbt()
    return WarehouseDbtResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))


def _relations(manifest_path: Path) -> dict[str, str]:
    manifest = json.loads(manifest_path.read_text())
    return {
        node["name"]: f'"{node["schema"]}"."{node["alias"]}"'
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }


def _row_counts(relations: dict[str, str], names: set[str]) -> dict[str, int]:
    """Count rows after dbt has exited, so we never hold the file while dbt writes it."""
    counts: dict[str, int] = {}
    settings = get_settings()
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True, config=settings.duckdb_config())
    try:
        for name in names:
            if name in relations:
                counts[name] = conn.execute(f"select count(*) from {relations[name]}").fetchone()[0]
    finally:
        conn.close()
    return counts


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool="duckdb",
)
def warehouse_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """`dbt build`: seeds, models and their tests in DAG order; a failing error-severity test fails the step."""
    # The as-of date travels as an environment variable, not `--vars`: a changed var makes dbt
    # re-parse the whole project, a changed env var only the files that read it.
    os.environ[AS_OF_ENV] = as_of_for_run(context.run.tags).isoformat()
    get_settings().export_for_dbt()
    # Unit tests check the SQL, not the data, so CI runs them (tests/test_dbt_unit_tests.py),
    # as dbt recommends, instead of every production run.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    events = list(invocation.stream())
    _keep_partial_parse(invocation.target_path)
    outputs = {context.asset_key_for_output(e.output_name).path[-1] for e in events if isinstance(e, Output)}
    counts = _row_counts(_relations(dbt_project.manifest_path), outputs)
    for event in events:
        if isinstance(event, Output):
            name = context.asset_key_for_output(event.output_name).path[-1]
            if name in counts:
                event = event.with_metadata({**event.metadata, "dagster/row_count": counts[name]})
        yield event
    if not invocation.is_successful():
        run_results = invocation.get_artifact("run_results.json")
        problems = _failed_nodes(run_results)
        settings = get_settings()
        samples = describe_failed_tests(
            run_results, invocation.get_artifact("manifest.json"), settings.warehouse_path, settings.duckdb_config()
        )
        raise Failure(
            description="dbt build failed; nothing downstream runs:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "".join(f"\n{sample}" for sample in samples),
            metadata={"failed_nodes": "\n".join(problems) or str(invocation.get_error())},
        )


def _keep_partial_parse(run_target: Path) -> None:
    """dagster-dbt gives each invocation its own target folder, seeded with target/partial_parse.msgpack;
    hand this run's parse state back so the next run re-parses only what changed."""
    state = Path(run_target) / "partial_parse.msgpack"
    if state.exists():
        shared = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
        staged = shared.with_suffix(".tmp")
        shutil.copy(state, staged)
        os.replace(staged, shared)


def _failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """Name every failed test and errored model, with dbt's own message (e.g. the failing row count)."""
    problems = []
    for result in run_results.get("results", []):
        if result.get("status") in ("fail", "error", "runtime error"):
            name = (
                result["unique_id"].split(".")[-1]
                if result["unique_id"].startswith("unit_test")
                else ".".join(result["unique_id"].split(".")[2:])
            )
            message = (result.get("message") or "").strip().splitlines()
            problems.append(
                f"{result['unique_id'].split('.')[0]} {name}: {result['status']}"
                + (f" ({message[0]})" if message else "")
            )
    return problems
