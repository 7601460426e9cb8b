"""The processes a run starts end with it, however it ends (Linux; elsewhere these are no-ops).

A run (`csw run`, or a Dagster run worker) starts child processes: the Great Expectations worker
(`lib/quality.py`) and the dbt subprocess (through `csw-dbt`, `dbt_main` below; on Spark the session's
JVM is dbt's child and exits when dbt's pipe to it closes). Killed with SIGKILL, out of memory or by a
container stop, the run's process cannot end them: before this, the dbt subprocess went on building
into the build file and the GX worker stayed alive, re-parented to init.

1. **Tied to the parent's death.** Each child asks the kernel to kill it when its parent dies
   (`prctl(PR_SET_PDEATHSIG, SIGKILL)`), then checks that its parent is still the process that started
   it, whose pid the starter passes (`CSW_PARENT_PID`, or an argument): a parent that died before the
   request, even while the child's interpreter was still starting, is not signalled, and the child
   would have been re-parented to init unnoticed (seen: a run killed the moment `csw-dbt` started).
2. **Registered.** Each child writes `<registry>/<pid>.json` (its pid, its start time, its parent's pid
   and start time, its role). The next run's start (`end_leftovers`) ends any registered child that is
   still alive while its parent is gone, with the process tree under it, and says so; entries of
   processes that are gone are removed. Start times guard against a reused pid.

No Dagster here; the registry folder is passed in (`Settings.children_dir`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    if fields[0] == "Z":  # a zombie has ended; it only waits for its parent to read its status
        return None
    return int(fields[19])


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def _tree(pid: int) -> list[int]:
    """pid and every process under it, parents first."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += _children(current)
    return out


PARENT_PID_ENV = "CSW_PARENT_PID"


def die_with_parent(registry: Path | None, role: str, expected_parent: int | None = None) -> None:
    """Call first thing in a child process: the kernel kills it when its parent dies; it is registered.
    `expected_parent`: the pid of the process that started this one (else $CSW_PARENT_PID, else whoever
    the parent is now); when the parent is already another process, the starter is gone: exit."""
    if not sys.platform.startswith("linux"):
        return
    if expected_parent is None and os.environ.get(PARENT_PID_ENV, "").isdigit():
        expected_parent = int(os.environ[PARENT_PID_ENV])
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)  # the run that started this process died while it was starting
    parent = os.getppid()
    parent_started = _start_time(parent)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not allowed here: the next run's start still finds it through the registry
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    if registry is None:
        return
    registry.mkdir(parents=True, exist_ok=True)
    entry = {
        "pid": os.getpid(),
        "started": _start_time(os.getpid()),
        "parent": parent,
        "parent_started": parent_started,
        "role": role,
    }
    path = registry / f"{os.getpid()}.json"
    path.with_suffix(".tmp").write_text(json.dumps(entry))
    path.with_suffix(".tmp").replace(path)


@dataclass(frozen=True)
class Leftover:
    pid: int
    role: str
    parent: int
    ended: int  # processes ended: the leftover and the tree under it

    def __str__(self) -> str:
        return (
            f"ended a leftover {self.role} process (pid {self.pid}, {self.ended} process(es) with its children) "
            f"of an earlier run whose process {self.parent} is gone"
        )


def end_leftovers(registry: Path) -> list[Leftover]:
    """End every registered child still alive whose parent is gone; forget entries of ended processes."""
    ended: list[Leftover] = []
    if not sys.platform.startswith("linux") or not registry.is_dir():
        return ended
    for path in sorted(registry.glob("*.json")):
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            continue
        pid, started = int(entry["pid"]), entry.get("started")
        now = _start_time(pid)
        if now is None or now != started:
            path.unlink(missing_ok=True)  # it ended (its pid may be another process's now)
            continue
        parent, parent_started = int(entry["parent"]), entry.get("parent_started")
        if parent_started is not None and _start_time(parent) == parent_started:
            continue  # its run is still going
        tree = _tree(pid)
        for member in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)
        ended.append(Leftover(pid, str(entry.get("role")), parent, len(tree)))
        path.unlink(missing_ok=True)
    return ended


def dbt_main() -> None:
    """`csw-dbt`: dbt's command line, in a process that ends with the run that started it."""
    from dagster_project.lib.settings import Settings

    die_with_parent(Settings.from_env().children_dir, "dbt")
    from dbt.cli.main import cli

    sys.exit(cli())
