"""Great Expectations suites as blocking Dagster asset checks.

Raw suites validate the batch each extract loaded in this run and gate the dbt
build; mart suites validate the built marts and gate the publish step.
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

from dagster_project.assets.extract import raw_asset_key
from dagster_project.contract import TABLES
from dagster_project.publish import current_log
from dagster_project.quality import SuiteResult, Validation, mart_suite_paths, raw_suite_path, validate
from dagster_project.resources import WarehouseResource
from dagster_project.settings import get_settings

RAW_CHECK = "gx_raw_suite"
MART_CHECK = "gx_mart_suite"
# A mart may shrink, but not below this share of the rows last published.
MART_ROW_FLOOR = 0.5


def report_dir(run_id: str) -> Path:
    return get_settings().data_dir / "quality" / run_id


def report_index(run_id: str) -> Path:
    return report_dir(run_id) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


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
            description=f"expectations/raw/{t.raw_name}.json on the rows this run loaded",
        )
        for t in TABLES
    ],
    pool="duckdb",
    name="raw_quality_checks",
)
def raw_quality_checks(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
    # clock skew and far-away time zones: a timestamp up to a day ahead of the load is not "future"
    latest_allowed = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    run_id = context.run.run_id
    validations = [
        Validation(
            raw_suite_path(t.raw_name), f"raw.{t.raw_name}", f"_load_id = '{run_id}'", {"max_timestamp": latest_allowed}
        )
        for t in TABLES
    ]
    outcomes, docs = validate(warehouse.path, validations, report_dir(run_id))
    for t, outcome in zip(TABLES, outcomes, strict=True):
        if not outcome.success:
            context.log.error(outcome.summary())
        yield _result(raw_asset_key(t), RAW_CHECK, outcome, docs)


def mart_keys() -> list[AssetKey]:
    return [AssetKey(["marts", p.stem]) for p in mart_suite_paths()]


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            MART_CHECK,
            asset=key,
            blocking=True,
            description=f"expectations/marts/{key.path[-1]}.json on the whole mart",
        )
        for key in mart_keys()
    ],
    pool="duckdb",
    name="mart_quality_checks",
)
def mart_quality_checks(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    log = current_log(get_settings().publish_dir)
    published = json.loads(log[-1]["mart_row_counts"]) if log else {}
    validations = [
        Validation(p, f"marts.{p.stem}", None, {"min_rows": int(published.get(p.stem, 0) * MART_ROW_FLOOR)})
        for p in mart_suite_paths()
    ]
    outcomes, docs = validate(warehouse.path, validations, report_dir(context.run.run_id))
    for key, outcome in zip(mart_keys(), outcomes, strict=True):
        if not outcome.success:
            context.log.error(outcome.summary())
        yield _result(key, MART_CHECK, outcome, docs)
