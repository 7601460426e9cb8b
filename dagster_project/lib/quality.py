"""Great Expectations validations of the build file, run as blocking Dagster asset checks.

Suites are JSON files under `expectations/raw/` and `expectations/marts/`. Each
validation runs through GX's SQL datasource on `warehouse.duckdb`, so the
expectations are pushed down to DuckDB. GX's context lives in memory; only the
run's Data Docs site, its HTML report, is written, under
`<data>/quality/<run_id>/gx/uncommitted/data_docs/local_site/`. An expectation
that raised instead of evaluating counts as failed.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_project.lib.children import die_with_parent
from dagster_project.lib.settings import EXPECTATIONS_DIR, Settings

SAMPLE_ROWS = 5


@dataclass
class ExpectationFailure:
    expectation: str
    column: str | None
    note: str
    unexpected_count: int | None
    sample: list[Any]
    error: str | None = None
    observed: Any = None

    def __str__(self) -> str:
        what = self.expectation + (f" on column '{self.column}'" if self.column else "")
        if self.error:
            return f"{what} could not be evaluated: {self.error}"
        if self.unexpected_count is not None:
            count = f"{self.unexpected_count} unexpected"
        else:
            count = f"observed {self.observed}" if self.observed is not None else "failed"
        sample = f"; e.g. {self.sample[:SAMPLE_ROWS]}" if self.sample else ""
        return f"{what} ({self.note}): {count}{sample}"


@dataclass
class SuiteResult:
    suite: str
    table: str
    evaluated: int
    failures: list[ExpectationFailure] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: {self.evaluated} expectations passed"
        lines = [f"{self.suite} on {self.table}: {len(self.failures)} of {self.evaluated} expectations failed"]
        lines += [f"  - {f}" for f in self.failures]
        return "\n".join(lines)


def load_suite(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read expectation suite {path}: {e}") from e


def raw_suite_path(raw_name: str, base: Path = EXPECTATIONS_DIR) -> Path:
    """A raw table's suite under `base` (Settings.expectations_dir, $CSW_EXPECTATIONS_DIR)."""
    return base / "raw" / f"{raw_name}.json"


def mart_suite_path(mart: str, base: Path = EXPECTATIONS_DIR) -> Path:
    return base / "marts" / f"{mart}.json"


# Expectations about the table's structure: checked on the table itself (GX
# needs the table's column metadata), the rest on the batch query.
SCHEMA_EXPECTATIONS = {
    "expect_column_to_exist",
    "expect_column_values_to_be_in_type_list",
    "expect_table_columns_to_match_set",
}


@dataclass
class Validation:
    """One suite against one table (`schema.table`) of the warehouse, its rows narrowed by `where`."""

    suite_path: Path
    table: str
    where: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    # generated expectations added to the suite's own (the marts' row-count floor)
    expectations: list[dict] = field(default_factory=list)

    @property
    def query(self) -> str:
        return f"select * from {self.table}" + (f" where {self.where}" if self.where else "")


def _failure(result: Any) -> ExpectationFailure | None:
    config = result.expectation_config
    raised, message = _raised(result.exception_info)
    if result.success and not raised:
        return None
    kwargs = config.kwargs or {}
    res = result.result or {}
    sample = res.get("partial_unexpected_list") or []
    if not sample and res.get("details", {}).get("unexpected_rows"):
        sample = res["details"]["unexpected_rows"]
    count = res.get("unexpected_count")
    if count is None and config.type in ("unexpected_rows_expectation", "expect_query_to_return_no_rows"):
        count = res.get("observed_value")
    return ExpectationFailure(
        expectation=config.type,
        column=kwargs.get("column"),
        note=(config.meta or {}).get("notes", ""),
        unexpected_count=count,
        sample=[_plain(s) for s in sample[:SAMPLE_ROWS]],
        error=message if raised else None,
        observed=_plain(res.get("observed_value")),
    )


def _raised(info: Any) -> tuple[bool, str | None]:
    """GX reports exceptions at the top level or per metric; either way the expectation did not evaluate."""
    if not isinstance(info, dict):
        return False, None
    if info.get("raised_exception"):
        return True, str(info.get("exception_message") or "exception while evaluating").splitlines()[0]
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return True, str(value.get("exception_message") or "exception while evaluating").splitlines()[0]
    return False, None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


_worker: ProcessPoolExecutor | None = None


def _import_gx(children_dir: Path | None, parent: int | None = None) -> None:
    """The GX process's start: it ends with the run's process (lib/children.py), no usage analytics (nothing
    may leave the machine), GX's own logs quiet."""
    die_with_parent(children_dir, "Great Expectations", parent)
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
        # Started from a `python -c` process (pytest-xdist's workers are): GX imports pyspark when it is
        # installed, and pyspark takes a main module without file or spec for its doctests and exits
        # (pyspark/sql/connect/utils.py, check_dependencies), which broke this process pool.
        main.__file__ = "<csw: Great Expectations process>"
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations  # noqa: F401


def _gx_process(children_dir: Path | None = None) -> ProcessPoolExecutor:
    """The Great Expectations process: started on first use and kept, since importing GX takes ~3 s.

    GX runs in a process of its own because DuckDB allows one configuration per file and
    process, and so that whatever GX leaves behind cannot hold the build file's lock;
    `_release_warehouse` closes GX's connections after every validation.
    """
    global _worker
    if _worker is None:
        _worker = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_import_gx,
            initargs=(children_dir, os.getpid()),
        )
    return _worker


def prewarm(children_dir: Path | None = None) -> None:
    """Start the GX process and import GX now, in the background (e.g. while extracts load)."""
    _gx_process(children_dir).submit(int)


def validate(
    warehouse: Path,
    validations: list[Validation],
    report_dir: Path,
    duckdb_config: dict[str, str],
    children_dir: Path | None = None,
) -> tuple[list[SuiteResult], Path]:
    """Run every validation in the GX process; return their results and the Data Docs index of this report."""
    global _worker
    try:
        return _gx_process(children_dir).submit(_validate, warehouse, validations, report_dir, duckdb_config).result()
    except BrokenProcessPool:
        _worker = None  # it died (killed, out of memory): the next call starts a new one
        raise


def _validate(
    warehouse: Path, validations: list[Validation], report_dir: Path, duckdb_config: dict[str, str]
) -> tuple[list[SuiteResult], Path]:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import dagster_project.lib.gx_expectations  # noqa: F401  (registers our expectation types by name)

    report_dir.mkdir(parents=True, exist_ok=True)
    # In memory: a file-backed context writes and re-reads every suite, definition and
    # checkpoint as JSON, which cost more than the validations; only Data Docs go to disk.
    context = gx.get_context(mode="ephemeral")
    context.update_data_docs_site(
        "local_site",
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir(report_dir))},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    # Read-only: GX must never write the build file, and must let go of it afterwards.
    datasource = context.data_sources.add_or_update_sql(
        "warehouse",
        connection_string=f"duckdb:///{warehouse}",
        kwargs={
            "pool_reset_on_return": None,
            "connect_args": {
                "read_only": True,
                # the settings' limits, passed in: this process does not read the parent's environment again
                "config": {**duckdb_config, "preserve_insertion_order": False},
            },
        },
    )
    results: list[SuiteResult] = []
    try:
        for i, v in enumerate(validations):
            spec = load_suite(v.suite_path)
            expectations = spec["expectations"] + v.expectations
            schema_part = [e for e in expectations if e["type"] in SCHEMA_EXPECTATIONS]
            rows_part = [e for e in expectations if e["type"] not in SCHEMA_EXPECTATIONS]
            evaluated, failures = 0, []
            try:
                for part, expectations in (("schema", schema_part), ("rows", rows_part)):
                    if not expectations:
                        continue
                    name = f"{spec['name']}.{part}"
                    suite = context.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
                    if part == "schema":
                        schema, table = v.table.split(".", 1)
                        asset = datasource.add_table_asset(f"t{i}", table_name=table, schema_name=schema)
                    else:
                        asset = datasource.add_query_asset(f"q{i}", query=v.query)
                    definition = context.validation_definitions.add_or_update(
                        gx.ValidationDefinition(
                            data=asset.add_batch_definition_whole_table("batch"), suite=suite, name=name
                        )
                    )
                    checkpoint = context.checkpoints.add_or_update(
                        gx.Checkpoint(
                            name=f"{name}.checkpoint",
                            validation_definitions=[definition],
                            result_format={"result_format": "COMPLETE", "partial_unexpected_count": SAMPLE_ROWS},
                        )
                    )
                    run = checkpoint.run(expectation_parameters=v.parameters)
                    outcome = next(iter(run.run_results.values()))
                    evaluated += len(outcome.results)
                    failures += [f for f in (_failure(r) for r in outcome.results) if f]
            except Exception as e:  # a suite that cannot run is a failure, never a pass
                failures.append(
                    ExpectationFailure(
                        "suite", None, "validation could not run", None, [], error=f"{type(e).__name__}: {e}"
                    )
                )
            results.append(SuiteResult(spec["name"], v.table, evaluated, failures))
        context.build_data_docs()
    finally:
        _release_warehouse()
    return results, docs_dir(report_dir) / "index.html"


def _release_warehouse() -> None:
    """Close every connection GX opened, so that the worker lets go of the file's lock.

    GX keeps engines of its own (the execution engine's, cached per batch) besides the
    datasource's; disposing only that one leaves DuckDB's lock held.
    """
    import gc

    from sqlalchemy.engine import Engine

    gc.collect()
    for obj in gc.get_objects():
        if isinstance(obj, Engine):
            obj.dispose()
    gc.collect()


def docs_dir(report_dir: Path) -> Path:
    return report_dir / "gx" / "uncommitted" / "data_docs" / "local_site"


def report_dir(settings: Settings, run_id: str) -> Path:
    """Where a run's data-quality report (GX Data Docs) is written."""
    return settings.quality_dir / run_id


def report_index(report: Path) -> Path:
    return docs_dir(report) / "index.html"
