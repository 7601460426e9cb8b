"""`csw watch`: one process loads the pipeline once and runs it whenever something is new; a run that fails
is not repeated until something it read changes; a stop ends it."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.generator import GeneratorOptions, generate
from tests.helpers import CSW, REPO, PipelineRun, pipeline_env

AS_OF = date(2026, 11, 15)
HEADER = "response_id,account_id,contact_id,score,comment,responded_at,updated_at,is_deleted\n"


def _wait_for(log: Path, pattern: str, count: int, proc: subprocess.Popen, timeout: float = 600) -> str:
    """The output once `pattern` occurs `count` times; fails if the process ends or time runs out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if len(re.findall(pattern, text)) >= count:
            return text
        assert proc.poll() is None, f"csw watch ended ({proc.returncode}):\n{text[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no {count} x {pattern!r} in {timeout} s:\n{log.read_text()[-3000:]}")


def _nps_file(data: Path, name: str, rows: str) -> None:
    # a second file of the same extract, as a late export would arrive
    (data / "landing/surveys/nps_responses" / AS_OF.isoformat() / name).write_text(HEADER + rows)


def test_one_process_runs_what_is_new_waits_after_a_failure_and_stops(tmp_path: Path) -> None:
    generate(tmp_path / "landing", GeneratorOptions(accounts=12, months=6, seed=3, as_of=AS_OF))
    env = pipeline_env(tmp_path)
    log = tmp_path / "watch.out"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [CSW, "watch", "--every", "1", "--as-of", AS_OF.isoformat()],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(log, r"nothing new since version", 1, proc)
        _nps_file(
            tmp_path,
            "part-0001.csv",
            "NPS-LATE-1,ACC-000001,CON-000001-00004,3,,2026-11-14T10:00:00Z,2026-11-14T10:00:00Z,false\n",
        )
        _wait_for(log, r"nothing new since version", 2, proc)
        # a malformed line: the run fails at the raw checks, and is not run again while nothing changes
        _nps_file(tmp_path, "part-0002.csv", 'NPS-LATE-2,ACC-000001,CON-000001-00004,"unterminated,x\n')
        _wait_for(log, r"the last run failed and nothing it read has changed", 1, proc)
        time.sleep(4)  # four more checks
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert text.count("pipeline loaded once") == 1, text[-3000:]
    assert len(re.findall(r"^csw run \w{8} as of 2026-11-15", text, re.M)) == 3, text[-3000:]
    assert text.count("Published in") == 2 and text.count("RUN FAILED") == 1, text[-3000:]
    assert text.rstrip().endswith("stopped") and proc.returncode == 1, text[-3000:]
    run = PipelineRun(tmp_path, env, 0, text)
    late = "select count(*) from staging.stg_surveys__nps_responses where response_id = 'NPS-LATE-1'"
    assert run.query(late) == [(1,)], "the late response reached the build"
    conn = duckdb.connect(str(tmp_path / "published" / "marts.duckdb"), read_only=True)
    try:
        assert conn.execute("select count(*) from _publish_log").fetchone() == (2,)
    finally:
        conn.close()
