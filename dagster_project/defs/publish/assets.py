"""Publish: the last step of a run, reached only when every blocking check upstream passed."""

import json
from datetime import UTC, datetime

from dagster import AssetExecutionContext, AssetKey, DagsterEventType, MaterializeResult, asset

from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.dbt import MART_KEYS, warehouse_dbt_assets
from dagster_project.lib.marts import source_tables
from dagster_project.lib.publish import publish
from dagster_project.lib.restatements import HEADLINE
from dagster_project.lib.run_context import resolve_as_of
from dagster_project.lib.score_guard import definition


@asset(
    key=AssetKey(["published", "marts"]),
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb", "parquet"},
    pool="duckdb",
    description="published/marts.duckdb and published/parquet/: what BI and the dashboard read.",
)
def published_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    # this run's events only (reading every run's check evaluations and filtering grew with history):
    # its check evaluations, and when its dbt build began (what it read was accepted before then)
    entries = context.instance.all_logs(
        context.run_id, of_type={DagsterEventType.ASSET_CHECK_EVALUATION, DagsterEventType.STEP_START}
    )
    evaluations = [
        e.dagster_event.asset_check_evaluation_data
        for e in entries
        if e.dagster_event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    build_start = next(
        (
            e.timestamp
            for e in entries
            if e.dagster_event.event_type == DagsterEventType.STEP_START and e.step_key == warehouse_dbt_assets.op.name
        ),
        None,
    )
    settings = warehouse.settings
    manifest = json.loads(settings.manifest_path.read_text())  # read once: lineage and the score's definition
    result = publish(
        warehouse.path,
        settings.publish_dir,
        run_id=context.run_id,
        as_of=resolve_as_of(context.run.tags, settings),
        marts=[key.path[-1] for key in MART_KEYS],
        duckdb_config=settings.duckdb_config(),
        checks_run=len(evaluations),
        checks_passed=sum(e.passed for e in evaluations),
        keep=settings.publish_keep,
        engine=settings.engine,
        build_started_at=datetime.fromtimestamp(build_start, UTC) if build_start else None,
        lineage=source_tables(manifest, list(HEADLINE)),
        score_definition=definition(manifest),
    )
    context.log.info(f"published version {result.version_id} to {result.path}")
    if result.restatements:
        context.log.warning(
            f"{result.restatements} closed-month figure(s) changed since the last publication: see metric_restatements"
        )
    return MaterializeResult(
        metadata={
            "path": str(result.path),
            "version_id": result.version_id,
            "dagster/row_count": sum(result.row_counts.values()),
            "marts": len(result.row_counts),
            "checks_run": len(evaluations),
            "restatements": result.restatements,
        }
    )
