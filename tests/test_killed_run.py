"""A run killed with SIGKILL leaves nothing behind (lib/children.py).

`csw run` is killed as the out-of-memory killer or a container stop would: SIGKILL to its process only,
once while the raw checks run (the Great Expectations worker is alive) and once while dbt builds (the
dbt subprocess is alive). Within a few seconds no process that run started may remain, the build file
must open read-write (no lock held), and the next run must complete.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.generator import GeneratorOptions, generate
from dagster_project.lib.children import _start_time, _tree, end_leftovers
from tests.helpers import CSW, REPO, pipeline_env, run_csw

AS_OF = date(2026, 11, 15)
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pids: list[int]) -> list[str]:
    return [f"{p}: {_cmdline(p)[:120]}" for p in pids if _start_time(p) is not None]


class Output:
    """Reads a process's output line by line in a thread, so the test can wait for a line."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)


def _kill_when(env: dict[str, str], after_stage: str, child_marker: str) -> tuple[list[int], str]:
    """Start `csw run`; once `after_stage` has printed its line and a child whose command line holds
    `child_marker` runs, SIGKILL the run's process alone. Returns the run's process tree at that moment."""
    proc = subprocess.Popen(
        [CSW, "run", "--as-of", AS_OF.isoformat()],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: the test's kill reaches only what the test aims at
    )
    out = Output(proc)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            tree = _tree(proc.pid)
            stage_over = any(line.startswith(f"  {after_stage} ") for line in out.lines)
            if stage_over and any(child_marker in _cmdline(p) for p in tree[1:]):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return tree, out.text()
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError(f"the run never reached the moment to kill it:\n{out.text()[-3000:]}")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("killed_run")
    generate(data / "landing", GeneratorOptions(accounts=12, months=6, seed=11, as_of=AS_OF))
    return data


@pytest.mark.parametrize(
    ("after_stage", "child"),
    [
        ("extract", "multiprocessing.spawn"),  # the raw checks run in the Great Expectations worker
        ("raw checks", "csw-dbt"),  # dbt builds
    ],
    ids=["during-raw-checks", "during-dbt-build"],
)
def test_a_killed_run_leaves_no_process_and_no_lock(data_dir: Path, after_stage: str, child: str) -> None:
    env = pipeline_env(data_dir)
    tree, output = _kill_when(env, after_stage, child)
    children = tree[1:]
    assert children, output
    deadline = time.monotonic() + 10
    while _alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(children), f"left behind by the killed run: {_alive(children)}"
    conn = duckdb.connect(str(data_dir / "warehouse.duckdb"))  # read-write: fails if a process holds the lock
    conn.close()


def test_the_next_run_completes(data_dir: Path) -> None:
    proc = run_csw(["run", "--as-of", AS_OF.isoformat()], pipeline_env(data_dir))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Published in" in proc.stdout


def test_the_next_start_ends_a_leftover_whose_parent_is_gone(tmp_path: Path) -> None:
    """A child that outlived its run (no parent-death signal: another OS, a pid namespace) is ended by the next
    start, with the processes under it; one whose parent still runs is left alone."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    gone_started = 1  # any start time: the pid no longer runs (or is another process)
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    orphan = subprocess.Popen([sys.executable, "-c", script])
    kept = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)
        grandchild = _tree(orphan.pid)[1:]
        assert grandchild
        registry = tmp_path / "children"
        registry.mkdir()
        for proc, parent, parent_started in (
            (orphan, gone.pid, gone_started),
            (kept, os.getpid(), _start_time(os.getpid())),
        ):
            entry = {
                "pid": proc.pid,
                "started": _start_time(proc.pid),
                "parent": parent,
                "parent_started": parent_started,
                "role": "dbt",
            }
            (registry / f"{proc.pid}.json").write_text(json.dumps(entry))
        ended = end_leftovers(registry)
        assert [(e.pid, e.ended) for e in ended] == [(orphan.pid, 2)]
        assert "leftover dbt process" in str(ended[0])
        orphan.wait(timeout=5)
        deadline = time.monotonic() + 5
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(grandchild)
        assert kept.poll() is None and (registry / f"{kept.pid}.json").exists()
        assert not (registry / f"{orphan.pid}.json").exists()
    finally:
        for proc in (orphan, kept):
            proc.kill()
