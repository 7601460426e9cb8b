"""The daily schedule: one full run per day, as of the schedule's date."""

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from dagster_project.lib.run_context import AS_OF_TAG


@schedule(cron_schedule="0 6 * * *", job_name="warehouse_job", execution_timezone="UTC")
def daily_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    as_of = context.scheduled_execution_time.date().isoformat()
    return RunRequest(run_key=f"daily-{as_of}", tags={AS_OF_TAG: as_of})
