"""dagster-dbt leaves a target folder per invocation: a run keeps the newest few."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster_project.lib.dbt_project import prune_run_targets


def test_a_run_keeps_the_newest_dbt_target_folders_only(tmp_path: Path) -> None:
    target = tmp_path / "target"
    folders = []
    for i in range(8):
        folder = target / f"warehouse_dbt_assets-{i:07d}-abc"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
        folders.append(folder)
    (target / "partial_parse.msgpack").write_text("")
    other = target / "another_step-0000000-abc"
    other.mkdir()
    this_run = folders[0]  # the oldest by time, but this run's: kept
    removed = prune_run_targets(this_run, keep=3)
    assert sorted(removed) == folders[1:6]
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [this_run.name, folders[6].name, folders[7].name, other.name, "partial_parse.msgpack"]
    )


def test_a_folder_another_run_may_still_be_writing_is_kept(tmp_path: Path) -> None:
    """Two runs at once (the test suite's workers): the other run's folder, older than the newest few but
    touched minutes ago, is still in use and stays."""
    target = tmp_path / "target"
    now = time.time()
    ages = {"other-run": 600, "a": 300, "b": 240, "c": 180, "d": 120, "stale": 7200}
    for name, age in ages.items():
        folder = target / f"warehouse_dbt_assets-{name}"
        folder.mkdir(parents=True)
        os.utime(folder, (now - age, now - age))
    this_run = target / "warehouse_dbt_assets-this"
    this_run.mkdir()
    removed = prune_run_targets(this_run, keep=3)
    assert [p.name for p in removed] == ["warehouse_dbt_assets-stale"]
    assert (target / "warehouse_dbt_assets-other-run").exists()
