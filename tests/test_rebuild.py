"""The raw history survives the build file: every accepted load is kept in the lake with the ledger, and
`csw rebuild` makes a new warehouse.duckdb from it. Three days of loads; then the first day's landing files and
the build file are deleted; `csw rebuild` and `csw run` publish the same marts as before, row for row."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from dagster_project.generator import GeneratorOptions, generate
from tests.helpers import pipeline_env, published_differences, run_csw

DAY1 = date(2026, 11, 13)


def test_rebuild_from_the_lake_publishes_the_same_marts(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    env = pipeline_env(tmp_path)
    generate(landing, GeneratorOptions(accounts=12, months=6, seed=9, as_of=DAY1))
    first_day = [p for p in landing.rglob("*") if p.is_file()]
    for n in range(3):
        day = DAY1 + timedelta(days=n)
        if n:
            generate(landing, GeneratorOptions(accounts=12, months=6, seed=9, as_of=day, since=day))
        proc = run_csw(["run", "--as-of", day.isoformat()], env)
        assert proc.returncode == 0, proc.stdout[-3000:]
    before = tmp_path / "before.duckdb"
    shutil.copyfile(tmp_path / "published" / "marts.duckdb", before)
    assert (tmp_path / "lake" / "raw" / "_ledger" / "_load_log.parquet").exists()

    for path in first_day:
        path.unlink()
    for path in tmp_path.glob("warehouse.duckdb*"):
        path.unlink()
    proc = run_csw(["rebuild"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "accepted loads" in proc.stdout
    again = run_csw(["rebuild"], env)
    assert again.returncode == 1 and "move it aside first" in again.stderr
    day3 = (DAY1 + timedelta(days=2)).isoformat()
    proc = run_csw(["run", "--as-of", day3], env)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "0 new file(s)" in proc.stdout, "the rebuilt load log knows every file still in the landing folder"
    assert published_differences(before, tmp_path / "published" / "marts.duckdb") == []
