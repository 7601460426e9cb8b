"""`csw run`: the warehouse job in this process, told the way a person reads it.

One line per stage as it finishes (extract, raw checks, dbt, mart checks, publish), a progress
bar while dbt builds, Dagster's and dbt's logs in a file whose path is printed (`--verbose`
streams them instead), and a last paragraph: the business summary, or what failed and what to do.
The run itself is the Dagster job of `dagster_project/definitions.py`, the same one the schedule,
the sensor and the UI launch.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dagster import (
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    JobDefinition,
    RunsFilter,
)

from dagster_project.defs.automation.failure_report import failure_paragraph
from dagster_project.lib.children import end_leftovers
from dagster_project.lib.dbt_project import LEFT_OUT
from dagster_project.lib.publish import PUBLISHED_FILE
from dagster_project.lib.quality import report_dir, report_index
from dagster_project.lib.run_context import AS_OF_TAG, FULL_REFRESH_TAG, resolve_as_of
from dagster_project.lib.run_report import business_summary
from dagster_project.lib.settings import Settings

if TYPE_CHECKING:
    import duckdb

PID_TAG = "csw/pid"
DBT_STEP = "warehouse_dbt_assets"
# the steps of a stage, by step key; a stage's line is printed when all its steps have finished
STAGES = (
    ("extract", lambda step: step.startswith("raw__")),
    ("raw checks", lambda step: step == "raw_quality_checks"),
    ("dbt build", lambda step: step == DBT_STEP),
    ("mart checks", lambda step: step == "mart_quality_checks"),
    ("publish", lambda step: step == "published__marts"),
)
WATCHED = {
    DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.STEP_SKIPPED,
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_CHECK_EVALUATION,
}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_abandoned_runs(instance: DagsterInstance) -> list[str]:
    """A `csw run` killed mid-way keeps its DuckDB pool slot forever; give it back.

    Only runs started by `csw run` (tagged with their process id) whose process is gone are
    touched; runs launched from the Dagster UI are left to Dagster's own run monitoring.
    """
    released = []
    for run_id in instance.event_log_storage.get_concurrency_run_ids():
        run = instance.get_run_by_id(run_id)
        pid = run.tags.get(PID_TAG) if run else None
        if run is not None and pid and not _alive(int(pid)):
            if not run.is_finished:
                instance.report_run_failed(run)
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            released.append(run_id)
    return released


def runs_in_progress(instance: DagsterInstance) -> list:
    """Other runs of the warehouse job that are going on now: `csw run`s whose process lives, and runs the
    daemon or the UI launched (Dagster's run monitoring ends those whose worker died)."""
    runs = instance.get_runs(
        filters=RunsFilter(
            job_name="warehouse_job",
            statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING],
        )
    )
    alive = []
    for run in runs:
        pid = run.tags.get(PID_TAG)
        if pid is None or (int(pid) != os.getpid() and _alive(int(pid))):
            alive.append(run)
    return alive


def wait_for_other_runs(instance: DagsterInstance, every: float = 2.0) -> list[str]:
    """Wait until no other warehouse run is going on (the schedule, the landing sensor, a person): two runs
    at once would only queue on DuckDB's single writer. Returns the ids of the runs waited for."""
    waited: list[str] = []
    while others := runs_in_progress(instance):
        for run in others:
            if run.run_id not in waited:
                waited.append(run.run_id)
                source = f"csw run, pid {run.tags[PID_TAG]}" if PID_TAG in run.tags else "launched by Dagster"
                print(f"  waiting for run {run.run_id[:8]} ({source}), already going on", flush=True)
        time.sleep(every)
    return waited


@contextmanager
def readable_warehouse(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The build file, read-only, when what a run would read can be told from it; None for a source other
    than files (Stripe and PostgreSQL can change at any moment), a missing build file, or one another
    process holds (a run, a person: go on and wait)."""
    import duckdb

    if settings.stripe_api_key or settings.pg_url or not settings.warehouse_path.exists():
        yield None
        return
    try:
        conn = duckdb.connect(str(settings.warehouse_path), read_only=True, config=settings.duckdb_config())
    except duckdb.Error:
        yield None
        return
    try:
        yield conn
    finally:
        conn.close()


def nothing_new(settings: Settings, as_of: date) -> dict | None:
    """The current publication, if a run now would read exactly what its build read: the same as-of date, no
    landing file the load log does not know, the same loads, verdicts, decisions and erasures, the same project
    (lib/inputs.py). None otherwise, or when the build file cannot tell (`readable_warehouse`)."""
    from dagster_project.lib.extract import files_not_loaded
    from dagster_project.lib.inputs import build_inputs, inputs_fingerprint
    from dagster_project.lib.publish import current_log

    log = current_log(settings.publish_dir)
    if not log or not log[-1].get("inputs_fingerprint") or str(log[-1]["as_of_date"]) != as_of.isoformat():
        return None
    with readable_warehouse(settings) as conn:
        if conn is None:
            return None
        published = log[-1]["inputs_fingerprint"]
        # the build file must hold that publication's build (not one `csw rebuild` made, say), and nothing new
        if build_inputs(conn, log[-1]["run_id"]) != published or files_not_loaded(
            conn, settings.landing_dir, migrate=False
        ):
            return None
        same = inputs_fingerprint(conn, settings.project_folders, settings.engine) == published
    return log[-1] if same else None


class StageReporter:
    """Follows a run's events (from another thread) and prints each stage's line as it finishes."""

    def __init__(self, instance: DagsterInstance, run_id: str, out: TextIO, started: float) -> None:
        self.instance, self.run_id, self.out, self.started = instance, run_id, out, started
        self.events: list = []
        self.cursor: str | None = None
        self.done: set[str] = set()
        self.steps: dict[str, str] = {}  # step key -> last status
        self.left_out: str | None = None  # what the dbt step left out, unchanged (its log line)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._bar_shown = False

    def __enter__(self) -> StageReporter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()  # whatever arrived after the last look
        self.flush_stages(final=True)

    def _follow(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.poll()
                self.flush_stages()
            except Exception:  # a report must never break the run it reports on
                pass

    def poll(self) -> None:
        conn = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
        self.cursor = conn.cursor
        for record in conn.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None:
                if entry.step_key == DBT_STEP and entry.user_message.startswith("dbt progress "):
                    self._bar(entry.user_message.split()[-1])
                elif entry.step_key == DBT_STEP and entry.user_message.startswith(LEFT_OUT):
                    # "the seeds, 2 staging model(s) (stg_a, stg_b)": the count, not the names
                    self.left_out = entry.user_message[len(LEFT_OUT) :].split(" (", 1)[0]
                continue
            if event.event_type not in WATCHED:
                continue
            self.events.append(event)
            if event.step_key and event.event_type != DagsterEventType.ASSET_MATERIALIZATION:
                self.steps[event.step_key] = event.event_type_value

    def _bar(self, fraction: str) -> None:
        if not self.out.isatty():  # a bar redrawn in place means nothing in a log or a pipe
            return
        done, total = (int(x) for x in fraction.split("/"))
        width = 30
        filled = width * done // max(total, 1)
        self.out.write(f"\r  dbt build    [{'#' * filled}{'.' * (width - filled)}] {done}/{total} nodes")
        self.out.flush()
        self._bar_shown = True

    def flush_stages(self, final: bool = False) -> None:
        for i, (name, belongs) in enumerate(STAGES):
            if name in self.done:
                continue
            steps = {k: v for k, v in self.steps.items() if belongs(k)}
            finished = steps and all(v in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED") for v in steps.values())
            # a stage's steps start one by one (one DuckDB writer at a time): it is over only when a
            # later stage has begun, or the run has ended
            later = any(belongs_later(k) for _, belongs_later in STAGES[i + 1 :] for k in self.steps)
            if not finished or not (later or final):
                return  # stages finish in order; wait for this one
            self.done.add(name)
            if self._bar_shown:
                self.out.write("\r" + " " * 70 + "\r")
                self._bar_shown = False
            failed = any(v == "STEP_FAILURE" for v in steps.values())
            skipped = all(v == "STEP_SKIPPED" for v in steps.values())
            status = "FAILED" if failed else "skipped" if skipped else "ok"
            elapsed = time.perf_counter() - self.started
            self.out.write(f"  {name:<12} {status:<7} {self.describe(name, steps)}  [{elapsed:5.1f} s]\n")
            self.out.flush()

    def describe(self, name: str, steps: dict[str, str]) -> str:
        mats = [
            e for e in self.events if e.event_type == DagsterEventType.ASSET_MATERIALIZATION and e.step_key in steps
        ]
        checks = [
            e.asset_check_evaluation_data
            for e in self.events
            if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION and e.step_key in steps
        ]
        passed = sum(c.passed for c in checks)
        warned = sum(not c.passed and c.severity == AssetCheckSeverity.WARN for c in checks)
        failed = len(checks) - passed - warned

        def meta(key: str) -> int:
            values = [e.event_specific_data.materialization.metadata.get(key) for e in mats]
            return sum(v.value for v in values if v is not None)

        if name == "extract":
            return (
                f"{len(steps)} tables: {meta('files_loaded'):,} new file(s), {meta('rows_loaded'):,} rows, "
                f"{meta('rows_quarantined'):,} rows and {meta('files_quarantined'):,} file(s) quarantined"
            )
        if name == "raw checks":
            return f"{len(checks)} tables: {passed} passed, {failed} failed"
        if name == "dbt build":
            tests = f"{len(checks)} tests: {passed} passed, {warned} warn, {failed} failed"
            if self.left_out:
                return f"{len(mats)} models built; {tests}; unchanged, not built or tested again: {self.left_out}"
            return f"{len(mats)} models and seeds built; {tests}"
        if name == "mart checks":
            return f"{len(checks)} marts: {passed} passed, {failed} failed"
        if not mats:
            return "nothing published"
        metadata = mats[0].event_specific_data.materialization.metadata
        return f"version {metadata['version_id'].value}, {metadata['marts'].value} marts"


@contextmanager
def logs_to(path: Path | None) -> Iterator[TextIO]:
    """Send everything written to stdout and stderr (Dagster's, dbt's, subprocesses') to `path`.

    Yields a stream to the real terminal for the run's own lines. With no path, nothing moves.
    """
    if path is None:
        yield sys.stdout
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()


def load_job() -> JobDefinition:
    """The warehouse job, as the schedule, the sensor and the UI launch it. Loading it is most of a run's
    start-up (5.6 s in the bench, session 17; 84% of it imports, profiled: dagster-dbt imports dbt), which
    `csw watch` pays once."""
    from dagster_project.definitions import defs

    return defs().resolve_job_def("warehouse_job")


def run(
    settings: Settings,
    as_of: date | None = None,
    full_refresh: bool = False,
    verbose: bool = False,
    force: bool = False,
    job: JobDefinition | None = None,
    instance: DagsterInstance | None = None,
) -> int:
    """Run the warehouse job once, in this process; 0 when it published or found nothing new (unless `force`),
    1 when it failed. `job` and `instance`: already loaded (`csw watch`), else loaded here."""
    instance = instance or DagsterInstance.get()
    run_id = str(uuid.uuid4())  # the form of Dagster's own run ids, known before the run starts
    as_of = as_of or resolve_as_of(None, settings)
    log_path = None if verbose else settings.data_dir / "logs" / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{run_id[:8]}.log"
    print(f"csw run {run_id[:8]} as of {as_of}" + (f"; logs: {log_path}" if log_path else ""), flush=True)
    for released in release_abandoned_runs(instance):
        print(f"  released the DuckDB pool slot of run {released}, whose process is gone (killed or crashed)")
    for leftover in end_leftovers(settings.children_dir):
        print(f"  {leftover}")
    waited = wait_for_other_runs(instance)
    if waited:
        print(f"  run(s) {', '.join(r[:8] for r in waited)} finished", flush=True)
    current = None if full_refresh or force else nothing_new(settings, as_of)
    if current is not None:
        said = (
            f"Nothing new since version {current['version_id']} (as of {as_of}, published "
            f"{current['published_at']:%Y-%m-%d %H:%M:%S} UTC): no unread landing file, and the loads, verdicts, "
            "decisions, erasures and project are those its build read. No extract, check or dbt work done; "
            "nothing to publish (`csw run --full-refresh` rebuilds anyway)."
        )
        print(said)
        if log_path:  # the log named above says it too
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_text(said + "\n")
        return 0
    started = time.perf_counter()
    with logs_to(log_path) as out:
        from dagster_project.lib.quality import prewarm

        job = job or load_job()
        prewarm(settings.children_dir)  # GX's import overlaps the extracts instead of delaying the first quality gate
        with StageReporter(instance, run_id, out, started):
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                tags={
                    AS_OF_TAG: as_of.isoformat(),
                    PID_TAG: str(os.getpid()),
                    FULL_REFRESH_TAG: str(full_refresh).lower(),
                },
                run_config={"loggers": {"console": {"config": {"log_level": settings.log_level}}}},
                raise_on_error=False,
            )
    elapsed = time.perf_counter() - started
    report = report_index(report_dir(settings, run_id))
    if result.success:
        print(f"\nPublished in {elapsed:.1f} s: {settings.publish_dir / PUBLISHED_FILE}")
        for line in business_summary(settings.publish_dir / PUBLISHED_FILE, as_of):
            print(f"  {line}")
        print(
            "Next: `make dashboard` (http://localhost:8501), `csw status`"
            + (f"; quality report: {report}" if report.exists() else "")
        )
        return 0
    print("\n" + failure_paragraph(result.all_events))
    if report.exists():
        print(f"data-quality report (Great Expectations Data Docs): {report}")
    if log_path:
        print(f"full log: {log_path}")
    return 1
