"""Shared fixtures: a small generated dataset run through the whole pipeline once per session."""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from dagster_project.generator import generate
from dagster_project.lib.dbt_project import ensure_manifest
from dagster_project.lib.settings import Settings
from tests.helpers import PIPELINE_OPTIONS, PipelineRun, pipeline_env, run_csw

# The modules that take longest (seconds, a clean-clone run of 2026-12-02 on one worker; test_watch alone):
# handed out first, so that the two workers (pyproject's addopts) end together instead of one finishing a
# long module alone.
SLOWEST_MODULES = {
    "test_load_verdicts.py": 720,
    "test_quality_gate.py": 420,
    "test_publish_resilience.py": 390,
    "test_spark_equivalence.py": 355,
    "test_rebuild.py": 275,
    "test_incremental.py": 250,
    "test_postgres_source.py": 205,
    "test_storage_errors.py": 175,
    "test_erase.py": 160,
    "test_vendor_equivalence.py": 130,
    "test_score_guard.py": 130,
    "test_watch.py": 200,
}


def pytest_configure(config: pytest.Config) -> None:
    """Tests import the dbt assets' module, which reads dbt's manifest: parse the project first if stale
    (xdist's controller configures before its workers start, so they find it parsed)."""
    ensure_manifest(Settings.from_env())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest modules first, each module's tests in their own order (a stable sort)."""
    items.sort(key=lambda item: -SLOWEST_MODULES.get(item.path.name, 0))


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> PipelineRun:
    """The built-in sample data (200 accounts x 24 months) through extract, dbt build (with tests) and publish,
    once per test session: the first of the workers (pyproject's addopts) to ask runs it, the other waits for
    it and reads the same folder. Tests only read it (a test that runs again works on `workspace`, a copy)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the session's folder, above each worker's own
    data_dir, result = root / "pipeline", root / "pipeline.json"
    with (root / "pipeline.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            shutil.rmtree(data_dir, ignore_errors=True)
            generate(data_dir / "landing", PIPELINE_OPTIONS)
            proc = run_csw(["run", "--as-of", PIPELINE_OPTIONS.as_of.isoformat()], pipeline_env(data_dir))
            result.write_text(json.dumps({"returncode": proc.returncode, "output": proc.stdout + proc.stderr}))
        done = json.loads(result.read_text())
    return PipelineRun(data_dir, pipeline_env(data_dir), done["returncode"], done["output"])


@pytest.fixture(scope="session")
def baseline(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert pipeline_run.returncode == 0, pipeline_run.output[-3000:]
    copy = tmp_path_factory.mktemp("baseline") / "data"
    shutil.copytree(pipeline_run.data_dir, copy, ignore=shutil.ignore_patterns("quality"))
    return copy


@pytest.fixture
def workspace(baseline: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(baseline, data)
    return data


class Recorder(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook():
    Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Recorder.received
    server.shutdown()
