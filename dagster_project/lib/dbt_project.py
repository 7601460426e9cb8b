"""The dbt project outside dbt's own run: its manifest, row counts after a build, parse state.

Plain Python: no Dagster imports; the caller passes the settings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dagster_project.lib.settings import Settings

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
# what a run starts: dbt's command line in a process that ends with the run (lib/children.py, `csw-dbt`)
DBT_RUN_EXECUTABLE = Path(sys.executable).with_name("csw-dbt")
# read by the as_of_date() macro
AS_OF_ENV = "CSW_AS_OF_DATE"
# set by the dbt step for dbt/macros/test_unique_since.sql: the newest load acceptance the current
# publication's dbt build read (`_publish_log.checked_through`)
CHECKED_THROUGH_ENV = "CSW_CHECKED_THROUGH"
# set by the dbt step for the restate_from() macro: the first week the weekly models restated by window must
# rebuild (lib/inputs.restate_from); empty: every week
RESTATE_FROM_ENV = "CSW_RESTATE_FROM"
# how the dbt step's log starts the list of what it left out (lib/inputs.seeds_current, unchanged_models); the
# run's report (runner.py) repeats it
LEFT_OUT = "left out, unchanged since the current publication's build, with their tests: "


def project_var(settings: Settings, name: str) -> Any:
    """A var's value in dbt_project.yml (what the models read unless --vars overrides it, which runs never do)."""
    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text())
    return project["vars"][name]


def manifest_is_stale(settings: Settings) -> bool:
    manifest = settings.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    # a manifest parsed for another engine dispatches other macros (and materializations)
    if json.loads(manifest.read_text()).get("metadata", {}).get("adapter_type") != settings.dbt_adapter_type:
        return True
    project = settings.dbt_project_dir
    sources = [project / "dbt_project.yml", project / "profiles.yml"]
    for folder in ("models", "seeds", "macros", "tests"):
        sources.extend(p for p in (project / folder).rglob("*") if p.is_file())
    return any(p.stat().st_mtime > built for p in sources)


def ensure_manifest(settings: Settings) -> bool:
    """Parse the dbt project when the manifest is missing or older than any project file; True if parsed.

    Called when definitions are loaded (and by the test session), never at import: dagster-dbt
    builds the dbt assets from this manifest.
    """
    if not manifest_is_stale(settings):
        return False
    project = str(settings.dbt_project_dir)
    target = settings.manifest_path.parent
    target.mkdir(parents=True, exist_ok=True)
    # Parsed apart, then moved in whole: another process may be reading the manifest or parsing too (the
    # test suite's two workers, one on Spark: a half-written manifest.json failed a run's start once).
    with tempfile.TemporaryDirectory(prefix="parse-", dir=target) as parsed:
        subprocess.run(
            [str(DBT_RUN_EXECUTABLE), "parse", "--quiet", "--project-dir", project, "--profiles-dir", project]
            + ["--target-path", parsed],
            check=True,
            cwd=project,
            env={**os.environ, **settings.dbt_env()},
        )
        for name in ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json"):
            if (Path(parsed) / name).exists():
                os.replace(Path(parsed) / name, target / name)
    return True


def relations(manifest_path: Path) -> dict[str, str]:
    """Every model and seed by name, as the quoted relation dbt built."""
    manifest = json.loads(manifest_path.read_text())
    return {
        node["name"]: f'"{node["schema"]}"."{node["alias"]}"'
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }


def row_counts(settings: Settings, names: set[str]) -> dict[str, int]:
    """Count rows after dbt has exited, so we never hold the file while dbt writes it."""
    known = relations(settings.manifest_path)
    counts: dict[str, int] = {}
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True, config=settings.duckdb_config())
    try:
        for name in names:
            if name in known:
                counts[name] = conn.execute(f"select count(*) from {known[name]}").fetchone()[0]
    finally:
        conn.close()
    return counts


def keep_partial_parse(run_target: Path, settings: Settings) -> None:
    """dagster-dbt gives each invocation its own target folder, seeded with target/partial_parse.msgpack;
    hand this run's parse state back so the next run re-parses only what changed."""
    state = Path(run_target) / "partial_parse.msgpack"
    if state.exists():
        shared = settings.dbt_project_dir / "target" / "partial_parse.msgpack"
        staged = shared.with_suffix(".tmp")
        shutil.copy(state, staged)
        os.replace(staged, shared)


def prune_run_targets(run_target: Path, keep: int = 5, grace_seconds: float = 3600) -> list[Path]:
    """dagster-dbt leaves each invocation's target folder behind (~12 MB at the sample: 383 of them held
    4.5 GB here after a few days of tests and benchmarks); keep the newest `keep` of this step's, this
    run's among them, and any touched in the last `grace_seconds`: another process's dbt may still be
    writing it (the test suite runs two pipelines at once; `csw dbt` by hand beside a run). Returns the
    folders removed."""
    run_target = Path(run_target)
    prefix = run_target.name.split("-")[0]
    siblings = sorted(
        (p for p in run_target.parent.glob(f"{prefix}-*") if p.is_dir() and p != run_target),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    settled = time.time() - grace_seconds
    removed = [p for p in siblings[max(keep - 1, 0) :] if p.stat().st_mtime < settled]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """Name every failed test and errored model, with dbt's own message (e.g. the failing row count)."""
    problems = []
    for result in run_results.get("results", []):
        if result.get("status") in ("fail", "error", "runtime error"):
            name = (
                result["unique_id"].split(".")[-1]
                if result["unique_id"].startswith("unit_test")
                else ".".join(result["unique_id"].split(".")[2:])
            )
            message = (result.get("message") or "").strip().splitlines()
            problems.append(
                f"{result['unique_id'].split('.')[0]} {name}: {result['status']}"
                + (f" ({message[0]})" if message else "")
            )
    return problems
