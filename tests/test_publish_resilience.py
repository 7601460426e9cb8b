"""A killed run never leaves BI a broken or half-written file, and readers never see a mix."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.helpers import CSW, REPO, pipeline_env, run_csw


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_tickets(data: Path, extract: str, n: int = 30) -> None:
    """About as many tickets per day as the sample brings (25), so the row-count check passes."""
    path = data / "landing" / "support" / "tickets" / extract / "part-0000.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "ticket_id": f"TCK-{extract}-{i}",
            "account_id": "ACC-000001",
            "priority": "normal",
            "status": "new",
            "created_at": f"{extract}T01:00:00Z",
            "updated_at": f"{extract}T01:00:00Z",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def published_run_ids(data: Path) -> list[str]:
    conn = duckdb.connect(str(data / "published" / "marts.duckdb"), read_only=True)
    try:
        return [r[0] for r in conn.execute("select run_id from _publish_log order by published_at").fetchall()]
    finally:
        conn.close()


def kill_when(data: Path, env: dict[str, str], ready, timeout: float = 300, csw: list[str] | None = None) -> str:
    """Start `csw run`, SIGKILL its whole process group once `ready(output_so_far)` is true."""
    log = data / "run.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            # --verbose: Dagster's and dbt's lines on stdout, where `ready` looks for them
            [*(csw or [CSW]), "run", "--as-of", "2026-11-16", "--verbose"],
            env=env,
            cwd=REPO,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if ready(log.read_text(errors="replace")):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return log.read_text(errors="replace")
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    raise AssertionError("the run ended before the moment to kill it:\n" + log.read_text()[-3000:])


def assert_recovers(data: Path, env: dict[str, str], before_sha: str, before_runs: list[str]) -> None:
    published = data / "published" / "marts.duckdb"
    assert sha(published) == before_sha, "the published file is the last good version, byte for byte"
    assert published_run_ids(data) == before_runs, "and it opens"
    proc = run_csw(["run", "--as-of", "2026-11-16"], env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert len(published_run_ids(data)) == len(before_runs) + 1
    assert not list((data / "published" / "versions").glob(".tmp-*")), "leftovers of the killed publish are cleaned"


def test_sigkill_during_dbt_build(workspace: Path) -> None:
    env = pipeline_env(workspace)
    before_sha, before_runs = sha(workspace / "published" / "marts.duckdb"), published_run_ids(workspace)
    add_tickets(workspace, "2026-11-16")
    # an intermediate model, built on every run (a tickets-only day leaves the events' staging out)
    out = kill_when(workspace, env, lambda text: "model intermediate.int_account_weekly_seen" in text)
    assert "published marts" not in out
    assert_recovers(workspace, env, before_sha, before_runs)


def test_sigkill_during_publish(workspace: Path) -> None:
    env = pipeline_env(workspace)
    before_sha, before_runs = sha(workspace / "published" / "marts.duckdb"), published_run_ids(workspace)
    add_tickets(workspace, "2026-11-16")
    versions = workspace / "published" / "versions"
    # tests/slow_publish.py: csw with a 5 s pause before the second mart is written
    slow = [sys.executable, "-m", "tests.slow_publish"]
    kill_when(workspace, env, lambda _text: any(versions.glob(".tmp-*/marts.duckdb")), csw=slow)
    assert list(versions.glob(".tmp-*")), "killed in the middle of writing the new version"
    assert_recovers(workspace, env, before_sha, before_runs)


READER = r"""
import json, sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
reads, errors, versions = 0, [], set()
import os
while not os.path.exists(stop):
    try:
        conn = duckdb.connect(path, read_only=True)
        run_id, counts = conn.execute(
            "select run_id, mart_row_counts from _publish_log order by published_at desc limit 1").fetchone()
        for mart, n in json.loads(counts).items():
            actual = conn.execute(f'select count(*) from "{mart}"').fetchone()[0]
            if actual != n:
                errors.append(f"{run_id}: {mart} has {actual} rows, its log says {n}")
        conn.close()
        versions.add(run_id)
        reads += 1
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
    time.sleep(0.01)
print(json.dumps({"reads": reads, "errors": errors[:20], "versions": sorted(versions)}))
"""


def test_readers_see_whole_versions_while_runs_publish(workspace: Path, tmp_path: Path) -> None:
    env = pipeline_env(workspace)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(workspace / "published" / "marts.duckdb"), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        add_tickets(workspace, "2026-11-16")
        first = run_csw(["run", "--as-of", "2026-11-16"], env)
        assert first.returncode == 0, first.stdout[-3000:]
        add_tickets(workspace, "2026-11-23", n=200)
        second = run_csw(["run", "--as-of", "2026-11-23"], env)
        assert second.returncode == 0, second.stdout[-3000:]
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    seen = json.loads(out)
    assert seen["errors"] == []
    assert seen["reads"] > 50
    assert len(seen["versions"]) == 3, "the reader saw the old version and both new ones"
