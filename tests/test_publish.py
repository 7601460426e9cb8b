"""Publishing: complete new versions swapped in atomically, kept for rollback."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.defs.transform.dbt import MART_KEYS
from dagster_project.lib.publish import STORAGE_VERSION, current_log, list_versions, publish, rollback
from tests.helpers import REPO, PipelineRun, run_csw

MARTS = [key.path[-1] for key in MART_KEYS]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_pipeline_published_every_mart(pipeline_run: PipelineRun) -> None:
    published = pipeline_run.data_dir / "published" / "marts.duckdb"
    conn = duckdb.connect(str(published), read_only=True)
    tables = {r[0] for r in conn.execute("show tables").fetchall()}
    log = conn.execute(
        "select as_of_date, marts_published, checks_run, checks_passed, mart_row_counts from _publish_log"
    ).fetchall()
    conn.close()
    assert {
        "dim_accounts",
        "mrr_movements",
        "mrr_summary_monthly",
        "nrr_monthly",
        "cohort_retention",
        "_publish_log",
    } <= tables
    assert log[-1][0] == date(2026, 11, 15)
    assert log[-1][2] > 50
    for mart in ("dim_accounts", "nrr_monthly"):
        assert (pipeline_run.data_dir / "published" / "parquet" / f"{mart}.parquet").exists()
    status = run_csw(["status"], pipeline_run.env)
    assert status.returncode == 0 and "current version" in status.stdout


def test_publish_keeps_versions_and_rolls_back(pipeline_run: PipelineRun, tmp_path: Path) -> None:
    out = tmp_path / "published"
    first = publish(pipeline_run.warehouse, out, "run-aaaa", date(2026, 11, 15), 10, 10, MARTS, {}, keep=2)
    first_sha = sha(out / "marts.duckdb")
    second = publish(pipeline_run.warehouse, out, "run-bbbb", date(2026, 11, 16), 10, 10, MARTS, {}, keep=2)
    assert [e["run_id"] for e in current_log(out)] == ["run-aaaa", "run-bbbb"]
    assert (out / "parquet").resolve().parent.name == second.version_id
    publish(pipeline_run.warehouse, out, "run-cccc", date(2026, 11, 17), 10, 10, MARTS, {}, keep=2)
    assert list_versions(out) == [second.version_id, list_versions(out)[-1]], "only the last 2 are kept"
    assert first.version_id not in list_versions(out)
    restored = rollback(out)
    assert restored == second.version_id
    assert [e["run_id"] for e in current_log(out)] == ["run-aaaa", "run-bbbb"]
    assert sha(out / "marts.duckdb") != first_sha
    assert sha(out / "marts.duckdb") == sha(out / "versions" / second.version_id / "marts.duckdb")


def test_published_file_opens_in_duckdb_1_1(pipeline_run: PipelineRun) -> None:
    """BI drivers bundle older DuckDB releases; `make test` installs DuckDB 1.1.3 in .venv-bi for this."""
    old_python = REPO / ".venv-bi" / "bin" / "python"
    assert old_python.exists(), "run the tests through `make test`, which creates .venv-bi"
    published = pipeline_run.data_dir / "published" / "marts.duckdb"
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__, c.execute('select count(*) from nrr_monthly').fetchone()[0])"
    )
    proc = subprocess.run([str(old_python), "-c", script, str(published)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    version, rows = proc.stdout.split()
    assert version == "1.1.3" and int(rows) > 0
    assert STORAGE_VERSION == "v1.0.0"
