"""`csw watch`: one long-lived process that runs the pipeline whenever something is new.

Every `csw run` starts a new process and loads Python, Dagster, dagster-dbt (which imports dbt) and the job's
definitions before its first step, then starts the Great Expectations process; the Dagster daemon's schedule
and landing sensor launch each run in a new process, and pay it too. This process loads the job once (5.6 s
in the bench at M, session 17), keeps the GX process, then checks every `every` seconds (the same one-day
run took 66.2 s here against 79.3 s in `csw run`: docs/performance.md):

- nothing new since the current publication (no unread landing file, the same loads, verdicts, decisions,
  erasures, project and as-of date): nothing is done, and it says so once;
- the last run failed and nothing it read has changed since (no new file, no decision with `csw loads`):
  it waits, instead of failing the same way every check;
- the project changed (a model, macro, seed or the code): it restarts itself to load it;
- otherwise: one run, exactly what `csw run` does (the same job, checks and publication).

A stop (Ctrl-C, SIGTERM) between runs ends it at once; during a run, the run finishes first (a second stop
interrupts it, as Ctrl-C interrupts `csw run`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from datetime import UTC, date, datetime
from types import FrameType

from dagster import DagsterInstance

from dagster_project.lib.settings import Settings
from dagster_project.runner import load_job, nothing_new, readable_warehouse, run


class StopRequest:
    """SIGINT and SIGTERM ask for a stop; a second one while a run goes on interrupts it."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.running = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.running and self.asked.is_set():
            raise KeyboardInterrupt
        self.asked.set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if a stop was asked for."""
        return self.asked.wait(seconds)


def attempt_state(settings: Settings, as_of: date) -> tuple | None:
    """What a run would read now: the as-of date, the warehouse's inputs (loads, verdicts, decisions, erasures,
    project) and the landing files not loaded yet. None when that cannot be told (an API source, which can
    change at any moment; a warehouse another process holds)."""
    from dagster_project.lib.extract import files_not_loaded
    from dagster_project.lib.inputs import inputs_fingerprint

    with readable_warehouse(settings) as conn:
        if conn is None:
            return None
        unread = files_not_loaded(conn, settings.landing_dir, migrate=False)
        return as_of, inputs_fingerprint(conn, settings.project_folders, settings.engine), tuple(map(str, unread))


def _say(text: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {text}", flush=True)


def watch(
    settings: Settings,
    every: float = 60.0,
    as_of: date | None = None,
    checks: int | None = None,
    verbose: bool = False,
) -> int:
    """Check every `every` seconds and run when something is new, until stopped or after `checks` checks.
    `as_of`: a fixed as-of date (default: worked out at each check, as `csw run` does, so the date moves at
    midnight UTC). Returns the last run's exit code (0 if no run failed last)."""
    from dagster_project.lib.inputs import project_fingerprint
    from dagster_project.lib.run_context import resolve_as_of

    started = time.perf_counter()
    project = project_fingerprint(settings.project_folders, settings.engine)
    job = load_job()
    instance = DagsterInstance.get()
    stop = StopRequest()
    _say(
        f"csw watch: pipeline loaded once, in {time.perf_counter() - started:.1f} s; checking "
        f"{settings.landing_dir} every {every:g} s (Ctrl-C stops it; a run in progress finishes first)"
    )
    code, failed_on, said, done = 0, None, None, 0
    while not stop.asked.is_set():
        began = time.perf_counter()
        if project_fingerprint(settings.project_folders, settings.engine) != project:
            _say("the project changed (models, macros, seeds, code): restarting to load it")
            instance.dispose()
            os.execv(sys.executable, [sys.executable, *sys.argv])
        day = as_of or resolve_as_of(None, settings)
        current = nothing_new(settings, day)
        if current is not None:
            if said != "idle":
                _say(f"nothing new since version {current['version_id']} (as of {day}); watching")
                said = "idle"
        elif failed_on is not None and attempt_state(settings, day) == failed_on:
            if said != "failed":
                _say(
                    "the last run failed and nothing it read has changed: waiting for a new or corrected file, "
                    "or a decision (`csw loads`)"
                )
                said = "failed"
        else:
            stop.running = True
            try:
                code = run(settings, as_of=day, verbose=verbose, job=job, instance=instance)
            finally:
                stop.running = False
            _say(f"run {'failed' if code else 'done'}: {time.perf_counter() - began:.1f} s from the check's start")
            failed_on = attempt_state(settings, day) if code else None
            said = None
        done += 1
        if checks is not None and done >= checks:
            break
        stop.wait(every)
    if stop.asked.is_set():
        _say("stopped")
    instance.dispose()
    return code
