from __future__ import annotations

from datetime import UTC, datetime

from dagster import build_schedule_context

from dagster_project.defs.automation.schedules import daily_schedule
from dagster_project.lib.run_context import AS_OF_TAG


def test_daily_schedule_runs_as_of_its_own_date() -> None:
    ctx = build_schedule_context(scheduled_execution_time=datetime(2026, 3, 9, 6, 0, tzinfo=UTC))
    request = daily_schedule(ctx)
    assert request.tags[AS_OF_TAG] == "2026-03-09"
    assert request.run_key == "daily-2026-03-09"
