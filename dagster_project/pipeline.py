"""Run the warehouse job in-process and print what it did."""

from __future__ import annotations

import json
import os
import time
from datetime import date

from dagster import AssetCheckSeverity, DagsterInstance

from dagster_project.generator import MANIFEST
from dagster_project.run_context import AS_OF_TAG, FULL_REFRESH_TAG, as_of_for_run
from dagster_project.sensors import landing_files
from dagster_project.settings import SAMPLE_AS_OF, get_settings


def default_as_of() -> date:
    """$CSW_AS_OF, else the sample data's as-of date when the landing folder holds sample data, else today."""
    settings = get_settings()
    manifest = settings.landing_dir / MANIFEST
    if not os.environ.get("CSW_AS_OF") and manifest.exists():
        return date.fromisoformat(json.loads(manifest.read_text())["as_of"])
    return as_of_for_run(None)


PID_TAG = "csw/pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_abandoned_runs(instance: DagsterInstance) -> list[str]:
    """A `csw run` killed mid-way keeps its DuckDB pool slot forever; give it back.

    Only runs started by `csw run` (tagged with their process id) whose process is gone are
    touched; runs launched from the Dagster UI are left to Dagster's own run monitoring.
    """
    released = []
    for run_id in instance.event_log_storage.get_concurrency_run_ids():
        run = instance.get_run_by_id(run_id)
        pid = run.tags.get(PID_TAG) if run else None
        if run is not None and pid and not _alive(int(pid)):
            if not run.is_finished:
                instance.report_run_failed(run)
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            released.append(run_id)
    return released


def run_pipeline(as_of: date | None = None, sample_if_empty: bool = False, full_refresh: bool = False) -> int:
    settings = get_settings()
    if sample_if_empty and not landing_files(settings.landing_dir):
        from dagster_project.generator import GeneratorOptions, generate

        print(f"No extracts in {settings.landing_dir}: generating the built-in sample data (as of {SAMPLE_AS_OF}) ...")
        started = time.perf_counter()
        generate(settings.landing_dir, GeneratorOptions(as_of=date.fromisoformat(SAMPLE_AS_OF)))
        print(f"  done in {time.perf_counter() - started:.1f} s")
    as_of = as_of or default_as_of()

    from dagster_project.definitions import defs

    instance = DagsterInstance.get()
    for run_id in release_abandoned_runs(instance):
        print(f"Released the DuckDB pool slot of run {run_id}, whose process is gone (killed or crashed).")
    print(f"Running warehouse_job as of {as_of} ...")
    from dagster_project.quality import prewarm

    prewarm()  # GX's import overlaps the extracts instead of delaying the first quality gate
    started = time.perf_counter()
    result = defs.resolve_job_def("warehouse_job").execute_in_process(
        instance=instance,
        tags={AS_OF_TAG: as_of.isoformat(), PID_TAG: str(os.getpid()), FULL_REFRESH_TAG: str(full_refresh).lower()},
        run_config={"loggers": {"console": {"config": {"log_level": os.environ.get("CSW_LOG_LEVEL", "INFO")}}}},
        raise_on_error=False,
    )
    elapsed = time.perf_counter() - started
    rows: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        count = mat.metadata.get("dagster/row_count")
        rows["/".join(mat.asset_key.path)] = count.value if count is not None else None
    failed_checks, warnings, details = [], [], []
    for e in result.all_events:
        if e.event_type_value != "ASSET_CHECK_EVALUATION" or e.asset_check_evaluation_data.passed:
            continue
        check = e.asset_check_evaluation_data
        label = f"{check.asset_key.to_user_string()}:{check.check_name}"
        if check.severity == AssetCheckSeverity.WARN:
            warnings.append(label)
        else:
            failed_checks.append(label)
            details.append(f"FAILED CHECK {label}" + (f"\n  {check.description.strip()}" if check.description else ""))
    print(f"\n{'table':<48} {'rows':>12}")
    for name in sorted(rows):
        n = rows[name]
        print(f"{name:<48} {n if n is not None else '-':>12}")
    print(f"\n{len(rows)} tables built in {elapsed:.1f} s; warehouse (build file): {settings.warehouse_path}")
    published = settings.publish_dir / "marts.duckdb"
    if published.exists():
        print(f"published marts: {published}")
    if warnings:
        print(f"warnings ({len(warnings)}, not blocking): " + ", ".join(warnings[:20]))
    if failed_checks:
        print(f"failed checks ({len(failed_checks)}): " + ", ".join(failed_checks[:20]))
        for detail in details[:10]:
            print(detail)
    from dagster_project.checks.quality import report_index

    report = report_index(result.run_id)
    if report.exists():
        print(f"data-quality report (Great Expectations Data Docs): {report}")
    if not result.success:
        failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        failed = [e.step_key for e in failures]
        for e in failures:
            user = e.event_specific_data.user_failure_data
            if user is not None and user.description:
                print(f"step {e.step_key}: {user.description}")
        print(f"RUN FAILED at: {', '.join(failed) or 'unknown step'}; nothing was published by this run.")
        return 1
    return 0
