"""Operations: a run when new extracts land, and a report when a step or a run fails."""

import hashlib
import json
import urllib.request

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

from dagster_project.defs.automation.failure_report import failure_paragraph, webhook_message
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.extract import landing_files


@sensor(job_name="warehouse_job", minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def landing_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource) -> SensorResult | SkipReason:
    """Start a run when files land that the sensor has not seen; the same files never start two runs.

    The sensor only lists the folder (it never opens DuckDB, which a running pipeline may hold);
    its cursor remembers the fingerprints it has already started a run for. The run's as-of date
    is resolved when it starts, as for every run (`dagster_project/lib/run_context.py`).
    """
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = landing_files(warehouse.settings.landing_dir)
    new = sorted(path for path, fingerprint in current.items() if seen.get(path) != fingerprint)
    if not new:
        return SkipReason(f"no new files among {len(current)} in the landing folder")
    run_key = hashlib.sha256("\n".join(f"{p}={current[p]}" for p in new).encode()).hexdigest()[:16]
    return SensorResult(
        run_requests=[RunRequest(run_key=f"landing-{run_key}", tags={"csw/new_files": str(len(new))})],
        cursor=json.dumps(current, sort_keys=True),
    )


def notify(message: dict, url: str | None) -> bool:
    """Post a JSON message to the webhook (`CSW_ALERT_WEBHOOK_URL`), if one is set; returns whether one was posted."""
    if not url:
        return False
    request = urllib.request.Request(
        url, data=json.dumps(message).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300
    except OSError as e:  # a broken alert channel must not hide the run's own failure
        # the URL is a secret (it carries the channel's token): never logged
        get_dagster_logger().error(f"could not post the failure report to the webhook: {e}")
        return False


def _failure_message(instance, run_id: str, title: str, **fields: object) -> dict:  # noqa: ANN001 (Dagster's instance)
    """The webhook message of a failed run: the paragraph `csw run` prints, from the run's events."""
    events = [r.dagster_event for r in instance.all_logs(run_id) if r.dagster_event is not None]
    return webhook_message(title, failure_paragraph(events), run_id=run_id, **fields)


@failure_hook(required_resource_keys={"warehouse"})
def report_step_failure(context: HookContext) -> None:
    """Log a failed step and post it to $CSW_ALERT_WEBHOOK_URL when that is set: the same paragraph `csw run`
    prints (the failed check, the table, the loads, sample rows, the `csw loads` command), cut when long."""
    error = context.op_exception
    title = f"cs-warehouse: step {context.step_key} of run {context.run_id} failed"
    message = _failure_message(
        context.instance,
        context.run_id,
        title,
        job=context.job_name,
        step=context.step_key,
        error=str(error).splitlines()[0] if error else None,
    )
    context.log.error(title + (f": {message['error']}" if message["error"] else ""))
    notify(message, context.resources.warehouse.settings.alert_webhook_url)


@run_failure_sensor(default_status=DefaultSensorStatus.STOPPED)
def run_failure_report(context: RunFailureSensorContext, warehouse: WarehouseResource) -> None:
    """For runs launched by the daemon (schedule, sensor, UI): one message per failed run, the same paragraph."""
    run = context.dagster_run
    title = f"cs-warehouse: run {run.run_id} of {run.job_name} failed"
    message = _failure_message(
        context.instance, run.run_id, title, job=run.job_name, error=context.failure_event.message
    )
    context.log.error(title)
    notify(message, warehouse.settings.alert_webhook_url)
