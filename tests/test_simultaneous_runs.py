"""Two runs at once (the schedule, the landing sensor, a person): the second says it waits for the first, and
when the first took in every file for the same as-of date, publishes nothing new and says so."""

from __future__ import annotations

import subprocess
import time
from datetime import date
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from dagster_project.generator import GeneratorOptions, generate
from tests.helpers import CSW, REPO, pipeline_env, run_csw
from tests.test_publish_resilience import published_run_ids

AS_OF = date(2026, 11, 15)


def _wait_until_started(home: Path, monkeypatch: pytest.MonkeyPatch, timeout: float = 300) -> None:
    """Until the first run's Dagster run is under way (what the second run looks for)."""
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # the instance's dagster.yaml reads it
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (home / "dagster.yaml").exists() or (home / "history").is_dir():
            instance = DagsterInstance.from_config(str(home))
            try:
                if instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED])):
                    return
            finally:
                instance.dispose()
        time.sleep(0.5)
    raise AssertionError("the first run never started")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    generate(tmp_path / "landing", GeneratorOptions(accounts=12, months=6, seed=5, as_of=AS_OF))
    return tmp_path


def test_the_second_run_waits_and_publishes_nothing_new(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = pipeline_env(data_dir)
    first = subprocess.Popen(
        [CSW, "run", "--as-of", AS_OF.isoformat()],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # its first line comes once its Dagster instance (storage created and stamped) is ready: opening the
        # instance here before that raced its creation (alembic saw two heads)
        header = first.stdout.readline()
        assert header.startswith("csw run "), header
        _wait_until_started(data_dir / "dagster_home", monkeypatch)
        second = run_csw(["run", "--as-of", AS_OF.isoformat()], env)
        out_first = first.communicate(timeout=600)[0]
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, out_first[-3000:]
    out = second.stdout + second.stderr
    assert second.returncode == 0, out[-3000:]
    assert "waiting for run" in out, out[-3000:]
    assert "Nothing new" in out and "nothing to publish" in out, out[-3000:]
    assert len(published_run_ids(data_dir)) == 1, "the second run published again"
