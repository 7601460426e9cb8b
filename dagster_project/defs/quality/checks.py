"""Great Expectations suites as blocking Dagster asset checks.

Raw suites judge each new load (a landing file) once, and gate the dbt build for as
long as a load they rejected awaits a decision (`dagster_project.lib.loads`); mart suites
validate the built marts and gate the publish step.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from dagster_project.contract import TABLES
from dagster_project.defs.extract.assets import raw_asset_key
from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.transform.dbt import MART_KEYS
from dagster_project.lib import score_guard
from dagster_project.lib.loads import SUITE_CHECK, Load, blocking_message, judge, pending_loads, rejected_loads
from dagster_project.lib.marts import ROW_FLOOR_EXPECTATION, has_row_floor, row_floor
from dagster_project.lib.publish import PUBLISHED_FILE, current_log
from dagster_project.lib.quality import (
    SuiteResult,
    Validation,
    mart_suite_path,
    raw_suite_path,
    report_dir,
    report_index,
    validate,
)
from dagster_project.lib.settings import Settings

RAW_CHECK = SUITE_CHECK
MART_CHECK = "gx_mart_suite"


def _result(key: AssetKey, check: str, outcome: SuiteResult, docs: Path) -> AssetCheckResult:
    failures = [str(f) for f in outcome.failures]
    return AssetCheckResult(
        asset_key=key,
        check_name=check,
        passed=outcome.success,
        severity=AssetCheckSeverity.ERROR,
        description=outcome.summary(),
        metadata={
            "suite": outcome.suite,
            "table": outcome.table,
            "expectations_evaluated": outcome.evaluated,
            "expectations_failed": len(outcome.failures),
            "failures": MetadataValue.md("\n".join(f"- {f}" for f in failures) or "none"),
            "report": MetadataValue.path(str(docs)),
        },
    )


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            RAW_CHECK,
            asset=raw_asset_key(t),
            blocking=True,
            description=f"expectations/raw/{t.raw_name}.json on each new load; fails while a load it rejected "
            "awaits a decision (`csw loads`)",
        )
        for t in TABLES
    ],
    pool="duckdb",
    name="raw_quality_checks",
)
def raw_quality_checks(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
    # clock skew and far-away time zones: a timestamp up to a day ahead of the load is not "future"
    latest_allowed = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    params = {"max_timestamp": latest_allowed}
    settings = warehouse.settings
    reports = report_dir(settings, context.run.run_id)
    with warehouse.connect(read_only=True) as conn:
        pending = {t.raw_name: pending_loads(conn, t.raw_name) for t in TABLES}
    verdicts, unjudged = judge_loads(settings, pending, params, reports)
    with warehouse.connect() as conn:
        for load_id, failures in verdicts.items():
            judge(conn, load_id, failures)
        rejected = {t.raw_name: rejected_loads(conn, t.raw_name, RAW_CHECK) for t in TABLES}
    for t in TABLES:
        loads, bad = pending[t.raw_name], rejected[t.raw_name]
        problems = [blocking_message(bad, RAW_CHECK)] if bad else []
        if t.raw_name in unjudged:
            problems.append(
                f"{RAW_CHECK} could not judge {len(loads)} new load(s), which stay pending and are judged again "
                f"by the next run:\n{unjudged[t.raw_name]}"
            )
        for problem in problems:
            context.log.error(problem)
        yield AssetCheckResult(
            asset_key=raw_asset_key(t),
            check_name=RAW_CHECK,
            passed=not problems,
            severity=AssetCheckSeverity.ERROR,
            description="\n".join(problems) or f"{len(loads)} new load(s) accepted",
            metadata={
                "suite": str(raw_suite_path(t.raw_name, settings.expectations_dir)),
                "loads_validated": len(loads),
                "rejected_loads": MetadataValue.json([load.load_id for load in bad]),
                "report": MetadataValue.path(str(report_index(reports))),
            },
        )


def _validation(table: str, loads: list[Load], params: dict[str, str], base: Path) -> Validation:
    ids = ", ".join(f"'{load.load_id}'" for load in loads)
    return Validation(raw_suite_path(table, base), f"raw.{table}", f"_load_id in ({ids})", params)


def judge_loads(
    settings: Settings, pending: dict[str, list[Load]], params: dict[str, str], reports: Path
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Validate each table's new loads together.

    Returns the verdicts, {load_id: {check: failure}} ({} = accepted), and the tables whose suite
    could not be evaluated ({table: why}): a suite that raised says nothing about the data, so
    those loads stay pending (the check still fails) instead of being rejected for good.
    When a table's batch fails, each of its loads is validated alone, so that the verdict falls
    on the file that broke the suite; a failure no load shows alone (two files in conflict, the
    batch's volume) rejects them all.
    """
    tables = [table for table, loads in pending.items() if loads]
    outcomes = _validate_all(
        settings, [_validation(t, pending[t], params, settings.expectations_dir) for t in tables], reports
    )
    unjudged = {t: o.summary() for t, o in zip(tables, outcomes, strict=True) if any(f.error for f in o.failures)}
    failed = {t: o for t, o in zip(tables, outcomes, strict=True) if not o.success and t not in unjudged}
    alone = [(t, load) for t in failed if len(pending[t]) > 1 for load in pending[t]]
    singles = _validate_all(
        settings, [_validation(t, [load], params, settings.expectations_dir) for t, load in alone], reports
    )
    by_load = {load.load_id: outcome for (_, load), outcome in zip(alone, singles, strict=True)}
    verdicts = {load.load_id: {} for t in tables if t not in unjudged for load in pending[t]}
    for t, outcome in failed.items():
        culprits = [load for load in pending[t] if load.load_id in by_load and not by_load[load.load_id].success]
        for load in culprits or pending[t]:
            result = by_load[load.load_id] if culprits else outcome
            verdicts[load.load_id] = {RAW_CHECK: f"{RAW_CHECK}: {result.summary()}"}
    return verdicts, unjudged


def _validate_all(settings: Settings, validations: list[Validation], reports: Path) -> list[SuiteResult]:
    if not validations:
        return []
    return validate(settings.warehouse_path, validations, reports, settings.duckdb_config(), settings.children_dir)[0]


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            MART_CHECK,
            asset=key,
            blocking=True,
            description=f"expectations/marts/{key.path[-1]}.json and the row-count floor on the whole mart",
        )
        for key in MART_KEYS
    ],
    pool="duckdb",
    name="mart_quality_checks",
)
def mart_quality_checks(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    settings = warehouse.settings
    log = current_log(settings.publish_dir)
    published = json.loads(log[-1]["mart_row_counts"]) if log else {}
    marts = [key.path[-1] for key in MART_KEYS]
    guard = score_guard_expectations(context, warehouse, log)
    validations = [
        Validation(
            mart_suite_path(mart, settings.expectations_dir),
            f"marts.{mart}",
            None,
            {"min_rows": row_floor(published.get(mart, 0))},
            ([ROW_FLOOR_EXPECTATION] if has_row_floor(mart_suite_path(mart, settings.expectations_dir)) else [])
            + (guard if mart == score_guard.BACKTEST else []),
        )
        for mart in marts
    ]
    outcomes, docs = validate(
        settings.warehouse_path,
        validations,
        report_dir(settings, context.run.run_id),
        settings.duckdb_config(),
        settings.children_dir,
    )
    for key, outcome in zip(MART_KEYS, outcomes, strict=True):
        if not outcome.success:
            context.log.error(outcome.summary())
        yield _result(key, MART_CHECK, outcome, docs)


def score_guard_expectations(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource, log: list[dict]
) -> list[dict]:
    """The score guard's expectations on health_score_backtest: only when the score's definition changed
    since the last publication, and nobody accepted the new one (`dagster_project.lib.score_guard`)."""
    settings = warehouse.settings
    previous = log[-1].get("score_definition") if log else None
    current = score_guard.definition(settings.manifest_path)
    if previous is None or previous == current:
        return []
    with warehouse.connect(read_only=True) as conn:
        decisions = score_guard.accepted(conn, current)
    if decisions:
        last = decisions[-1]
        context.log.info(
            f"score guard: the score's definition changed ({previous} -> {current}); accepted by "
            f"{last['decided_by']}: {last['reason']!r}"
        )
        return []
    figures = score_guard.published_figures(settings.publish_dir / PUBLISHED_FILE)
    if figures is None:
        return []
    why = f"the score's definition changed since the last publication: {previous} -> {current}"
    context.log.info(f"score guard: {why}")
    return score_guard.guard_expectations(figures, score_guard.tolerance(settings.dbt_project_dir / "seeds"), why)
