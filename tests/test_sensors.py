"""The landing sensor starts one run per new set of files; failures are reported to a webhook."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import RunRequest, SkipReason, build_sensor_context

from dagster_project.defs.automation.sensors import landing_sensor, notify
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.run_context import AS_OF_TAG
from dagster_project.lib.settings import Settings


def test_sensor_runs_once_per_new_files(tmp_path: Path) -> None:
    warehouse = WarehouseResource.from_settings(Settings.from_env({"CSW_LANDING_DIR": str(tmp_path)}))

    def evaluate(cursor: str | None):
        return landing_sensor(build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}))

    assert isinstance(evaluate(None), SkipReason)
    first = tmp_path / "crm" / "accounts" / "2026-11-16" / "part-0000.csv"
    first.parent.mkdir(parents=True)
    first.write_text("account_id\n")
    result = evaluate(None)
    [request] = result.run_requests
    # no as-of tag: the run resolves its date when it starts, as every run does (lib/run_context.py)
    assert isinstance(request, RunRequest) and AS_OF_TAG not in request.tags
    again = evaluate(result.cursor)
    assert isinstance(again, SkipReason), "the same files never start a second run"
    (tmp_path / "crm" / "accounts" / "2026-11-16" / "notes.txt").write_text("not an extract")
    assert isinstance(evaluate(result.cursor), SkipReason)
    second = tmp_path / "support" / "tickets" / "2026-11-17" / "part-0000.jsonl"
    second.parent.mkdir(parents=True)
    second.write_text("{}\n")
    later = evaluate(result.cursor)
    [request2] = later.run_requests
    assert request2.run_key != request.run_key
    assert json.loads(later.cursor).keys() == {str(first.relative_to(tmp_path)), str(second.relative_to(tmp_path))}


def test_notify_posts_json_to_the_webhook(webhook) -> None:
    url, received = webhook
    assert notify({"text": "run failed"}, url) is True
    assert received == [{"text": "run failed"}]


def test_notify_without_a_webhook_does_nothing() -> None:
    assert notify({"text": "x"}, None) is False


def test_notify_survives_a_dead_webhook() -> None:
    assert notify({"text": "x"}, "http://127.0.0.1:9/nothing-listens-here") is False
