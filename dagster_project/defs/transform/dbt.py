"""The dbt project as Dagster assets: every seed and model an asset, every dbt test an asset check.

The manifest is prepared when the definitions are loaded (`dagster_project/definitions.py`), before
this module is imported; dbt's plain helpers are in `dagster_project/lib/dbt_project.py`.
"""

import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC
from functools import cached_property
from importlib.metadata import version
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Definitions, Failure, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from packaging.version import Version

from dagster_project.defs.resources import WarehouseResource, load_settings
from dagster_project.lib.children import PARENT_PID_ENV
from dagster_project.lib.dbt_failures import describe_failed_tests
from dagster_project.lib.dbt_project import (
    AS_OF_ENV,
    CHECKED_THROUGH_ENV,
    DBT_RUN_EXECUTABLE,
    LEFT_OUT,
    RESTATE_FROM_ENV,
    failed_nodes,
    keep_partial_parse,
    project_var,
    prune_run_targets,
    row_counts,
)
from dagster_project.lib.inputs import (
    combined,
    full_rebuild_reason,
    project_fingerprint,
    raw_state_fingerprint,
    record_build_inputs,
    restate_from,
    seeds_current,
    unchanged_models,
)
from dagster_project.lib.lake import import_marts, sync_raw
from dagster_project.lib.marts import mart_names
from dagster_project.lib.publish import checked_through, current_log, published_through
from dagster_project.lib.run_context import FULL_REFRESH_TAG, resolve_as_of

_settings = load_settings()
dbt_project = DbtProject(project_dir=_settings.dbt_project_dir, profiles_dir=_settings.dbt_project_dir)
# The published marts, one list for publish, the mart checks and status (dagster_project/lib/marts.py).
MART_KEYS = [AssetKey(["marts", name]) for name in mart_names(_settings.manifest_path)]
# what `dbt build` reports on, for the progress messages: seeds, models and data tests
_manifest = json.loads(_settings.manifest_path.read_text())
_nodes = _manifest["nodes"].values()
BUILT_NODES = sum(node["resource_type"] in ("seed", "model", "test") for node in _nodes)
SEED_NAMES = sorted(node["name"] for node in _nodes if node["resource_type"] == "seed")
SEED_TABLES = [(node["schema"], node["alias"]) for node in _nodes if node["resource_type"] == "seed"]


def left_out_nodes(models: list[str]) -> int:
    """How many nodes a build that leaves out the seeds and `models` does not run: those, and the tests
    that read only those (for the progress messages)."""
    out = {
        n["unique_id"]
        for n in _nodes
        if n["resource_type"] == "seed" or (n["resource_type"] == "model" and n["name"] in models)
    }
    return len(out) + sum(
        n["resource_type"] == "test" and bool(n["depends_on"]["nodes"]) and set(n["depends_on"]["nodes"]) <= out
        for n in _nodes
    )


# the staging models (they read raw tables and seeds only) and the raw tables each reads: one whose tables took
# no new load is left out with the seeds (lib/inputs.unchanged_models)
STAGING_READS = {
    node["name"]: (
        (node["schema"], node["alias"]),
        sorted(_manifest["sources"][p]["identifier"] for p in node["depends_on"]["nodes"] if p.startswith("source.")),
    )
    for node in _nodes
    if node["resource_type"] == "model"
    and node["fqn"][1] == "staging"
    and all(p.startswith(("source.", "seed.")) for p in node["depends_on"]["nodes"])
}


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


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool="duckdb",
)
def warehouse_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build`: seeds, models and their tests in DAG order; a failing error-severity test fails the step.

    On Spark (CSW_ENGINE=spark) the accepted raw loads go to the lake first and the built marts come
    back into the DuckDB file after a successful build, for the mart checks and publish."""
    settings = warehouse.settings
    spark = settings.engine == "spark"
    # every accepted load into the lake, with the ledger (both engines): the raw history survives the
    # build file (`csw rebuild`); on Spark dbt reads it from there
    synced = sync_raw(settings.warehouse_path, settings.lake_dir, settings.duckdb_config())
    context.log.info(f"lake {settings.lake_dir}: {synced.summary()}")
    # dagster-dbt hands this process's environment to dbt, so the run's settings go there, here in
    # the step (never at import). The as-of date is an env var, not `--vars`: a changed var makes dbt
    # re-parse the whole project, a changed env var only the files that read it.
    full_refresh = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    as_of = resolve_as_of(context.run.tags, settings)
    log = current_log(settings.publish_dir)
    project = project_fingerprint(settings.project_folders, settings.engine)
    restate, skip_seeds, staging_left_out = None, False, []
    with warehouse.connect() as conn:
        # what this build reads (project, loads and their verdicts, decisions, erasures), before dbt reads it:
        # publish copies it into `_publish_log`, and a later run that finds the same says so and stops
        record_build_inputs(conn, context.run_id, combined(project, raw_state_fingerprint(conn)), project)
        reason = None if full_refresh else full_rebuild_reason(conn, log[-1] if log else None, project)
        if reason:
            context.log.info(f"full rebuild: {reason}")
            full_refresh = True
        # Key checks that hold row by row look only at rows accepted after what the current publication's
        # build read (dbt/macros/test_unique_since.sql); a full refresh checks every row.
        through = None if full_refresh else checked_through(settings.publish_dir, settings.engine)
        if through is not None:
            # the weeks this batch can change, for the weekly models restated by window (lib/inputs.py)
            restate = restate_from(
                conn,
                through.replace(tzinfo=UTC),
                log[-1]["as_of_date"],
                as_of,
                project_var(settings, "activity_lookback_weeks"),
            )
            context.log.info(f"weekly models restated from {restate or 'the first week'}")
            # Spark's seeds live in its session's tables: loaded on every build there
            skip_seeds = not spark and seeds_current(conn, log[-1], project, context.run_id, SEED_TABLES)
            if skip_seeds:
                staging_left_out = unchanged_models(conn, through.replace(tzinfo=UTC), STAGING_READS)
    os.environ.update(
        {
            **settings.dbt_env(),
            AS_OF_ENV: as_of.isoformat(),
            CHECKED_THROUGH_ENV: through.isoformat(sep=" ") if through else "",
            RESTATE_FROM_ENV: restate.isoformat() if restate else "",
            # `csw-dbt` exits at once if this process is gone by the time it starts (lib/children.py)
            PARENT_PID_ENV: str(os.getpid()),
        }
    )
    # Unit tests check the SQL, not the data, so CI runs them (tests/test_dbt_unit_tests.py),
    # as dbt recommends, instead of every production run.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    if skip_seeds:
        # the seeds, the staging models nothing new reaches, and the tests that read only those; `cautious`
        # keeps a test that also reads a model built now (a relationship to a rebuilt model or to a seed),
        # where eager exclusion would drop it
        # (one `--exclude` value, its selectors separated by spaces: dbt read further values as another option's)
        args += ["--exclude", " ".join(["resource_type:seed", *staging_left_out]), "--indirect-selection", "cautious"]
        staging = f"{len(staging_left_out)} staging model(s)" if staging_left_out else "no staging model"
        names = f" ({', '.join(staging_left_out)})" if staging_left_out else ""
        context.log.info(f"{LEFT_OUT}the seeds, {staging}{names}")
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    events, total, shown = [], BUILT_NODES - (left_out_nodes(staging_left_out) if skip_seeds else 0), 0
    for event in invocation.stream():
        events.append(event)
        # about twenty progress messages, read by `csw run` for its progress bar
        if len(events) - shown >= max(total // 20, 1):
            shown = len(events)
            context.log.info(f"dbt progress {min(shown, total)}/{total}")
    keep_partial_parse(invocation.target_path, settings)
    prune_run_targets(invocation.target_path)
    outputs = {context.asset_key_for_output(e.output_name).path[-1] for e in events if isinstance(e, Output)}
    if not spark:
        counts = row_counts(settings, outputs)
    elif invocation.is_successful():
        # the other models stay in Spark: only the marts have a row count here
        marts = [key.path[-1] for key in MART_KEYS]
        counts = import_marts(settings.lake_dir, settings.warehouse_path, marts, SEED_NAMES, settings.duckdb_config())
        context.log.info(f"{len(counts)} marts imported from the lake into {settings.warehouse_path}")
    else:
        counts = {}
    for event in events:
        if isinstance(event, Output):
            name = context.asset_key_for_output(event.output_name).path[-1]
            if name in counts:
                event = event.with_metadata({**event.metadata, "dagster/row_count": counts[name]})
        yield event
    if not invocation.is_successful():
        run_results = invocation.get_artifact("run_results.json")
        problems = failed_nodes(run_results)
        samples = (
            []  # the failing rows are in Spark: dbt's message names the test, its compiled SQL is in target/
            if spark
            else describe_failed_tests(
                run_results,
                invocation.get_artifact("manifest.json"),
                settings.warehouse_path,
                settings.duckdb_config(),
                published_through(settings.publish_dir),
            )
        )
        raise Failure(
            description="dbt build failed; nothing downstream runs:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "".join(f"\n{sample}" for sample in samples),
            metadata={"failed_nodes": "\n".join(problems) or str(invocation.get_error())},
        )


defs = Definitions(
    assets=[warehouse_dbt_assets],
    resources={"dbt": WarehouseDbtResource(project_dir=dbt_project, dbt_executable=str(DBT_RUN_EXECUTABLE))},
)
