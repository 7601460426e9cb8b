"""A publish that hits a full disk fails with a clear message naming the path, leaves the published version as it
was, and the next run (with space) completes. The published folder is a small tmpfs mounted by the test (root, as
in this project's CI container; elsewhere the test is skipped and says why)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from dagster_project.generator import GeneratorOptions, generate
from tests.helpers import pipeline_env, run_csw

AS_OF = date(2026, 11, 15)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mount(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path):
    disk = tmp_path / "published"
    if not _mount(disk, "64m"):
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN): the full-disk test runs in CI's container")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_at_publish_fails_clearly_and_the_next_run_completes(tmp_path: Path, small_disk: Path) -> None:
    generate(tmp_path / "landing", GeneratorOptions(accounts=12, months=6, seed=3, as_of=AS_OF))
    env = pipeline_env(tmp_path) | {"CSW_PUBLISH_DIR": str(small_disk)}
    first = run_csw(["run", "--as-of", AS_OF.isoformat()], env)
    assert first.returncode == 0, first.stdout[-3000:]
    published = small_disk / "marts.duckdb"
    before = _sha(published)
    # fill the disk so that a second version cannot be written
    filler = small_disk / "filler"
    stat = os.statvfs(small_disk)
    filler.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 64 * 1024))
    second = run_csw(["run", "--as-of", "2026-11-16"], env)
    out = second.stdout + second.stderr
    assert second.returncode == 1, out[-3000:]
    assert "No space left on device" in out and str(small_disk) in out, out[-3000:]
    assert "What to do: free space on that disk" in out and "nothing was published" in out, out[-3000:]
    assert _sha(published) == before
    status = run_csw(["status"], env)
    assert status.returncode == 0 and "2026-11-15" in status.stdout, status.stdout
    filler.unlink()
    third = run_csw(["run", "--as-of", "2026-11-16"], env)
    assert third.returncode == 0, third.stdout[-3000:]
    assert _sha(published) != before
