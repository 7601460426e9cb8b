"""Operations: a run when new extracts land, and a report when a run fails."""

import hashlib
import json
import os
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    HookContext,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    failure_hook,
    get_dagster_logger,
    run_failure_sensor,
    sensor,
)

from dagster_project.extract import FORMAT_BY_SUFFIX
from dagster_project.run_context import AS_OF_TAG
from dagster_project.settings import get_settings

WEBHOOK_ENV = "CSW_ALERT_WEBHOOK_URL"


def landing_files(landing: Path) -> dict[str, str]:
    """Every extract file in the landing folder with a fingerprint (size and modification time)."""
    files = {}
    if landing.is_dir():
        for p in sorted(landing.glob("*/*/*/*")):
            if p.is_file() and p.suffix.lower() in FORMAT_BY_SUFFIX:
                stat = p.stat()
                files[str(p.relative_to(landing))] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return files


@sensor(job_name="warehouse_job", minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def landing_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    """Start a run when files land that the sensor has not seen; the same files never start two runs.

    The sensor only lists the folder (it never opens DuckDB, which a running pipeline may hold);
    its cursor remembers the fingerprints it has already started a run for.
    """
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = landing_files(get_settings().landing_dir)
    new = sorted(path for path, fingerprint in current.items() if seen.get(path) != fingerprint)
    if not new:
        return SkipReason(f"no new files among {len(current)} in the landing folder")
    run_key = hashlib.sha256("\n".join(f"{p}={current[p]}" for p in new).encode()).hexdigest()[:16]
    as_of = datetime.now(UTC).date().isoformat()
    return SensorResult(
        run_requests=[
            RunRequest(run_key=f"landing-{run_key}", tags={AS_OF_TAG: as_of, "csw/new_files": str(len(new))})
        ],
        cursor=json.dumps(current, sort_keys=True),
    )


def notify(message: dict, url: str | None = None) -> bool:
    """Post a JSON message to the configured webhook; returns whether one was posted."""
    url = url or os.environ.get(WEBHOOK_ENV)
    if not url:
        return False
    request = urllib.request.Request(
        url, data=json.dumps(message).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300
    except OSError as e:  # a broken alert channel must not hide the run's own failure
        get_dagster_logger().error(f"could not post the failure report to {url}: {e}")
        return False


@failure_hook
def report_step_failure(context: HookContext) -> None:
    """Log a failed step and post it to $CSW_ALERT_WEBHOOK_URL when that is set."""
    error = context.op_exception
    message = {
        "text": f"cs-warehouse: step {context.step_key} of run {context.run_id} failed",
        "run_id": context.run_id,
        "job": context.job_name,
        "step": context.step_key,
        "error": str(error).splitlines()[0] if error else None,
    }
    context.log.error(message["text"] + (f": {message['error']}" if message["error"] else ""))
    notify(message)


@run_failure_sensor(default_status=DefaultSensorStatus.STOPPED)
def run_failure_report(context: RunFailureSensorContext) -> None:
    """For runs launched by the daemon (schedule, sensor, UI): one message per failed run."""
    message = {
        "text": f"cs-warehouse: run {context.dagster_run.run_id} of {context.dagster_run.job_name} failed",
        "run_id": context.dagster_run.run_id,
        "job": context.dagster_run.job_name,
        "error": context.failure_event.message,
    }
    context.log.error(message["text"])
    notify(message)
