"""A health rule on a measure nobody declared fails the build, naming the rule and the measure.

Before the measures were declared once (dbt_project.yml, `health_measures`), such a rule passed every
test and scored its points_if_missing for every account, silently. The seeds and their tests are built
alone, on a copy of the dbt project with one rule added, into an empty DuckDB file: seconds, no pipeline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from dagster_project.lib.dbt_failures import describe_failed_tests
from dagster_project.lib.dbt_project import DBT_EXECUTABLE
from dagster_project.lib.settings import REPO_ROOT
from tests.helpers import pipeline_env

RULE = (
    "support_urgent_open,support,urgent_tickets_open_7d,lower_is_better,0,1,0,1,0,1,0,"
    "Urgent tickets open longer than 7 days (none: full points)\n"
)


def build_seeds(project: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **pipeline_env(tmp_path / "data"),
        "CSW_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
        "DBT_PROFILES_DIR": str(project),
    }
    return subprocess.run(
        [
            str(DBT_EXECUTABLE),
            "build",
            "--select",
            "health_rules health_components",
            "--exclude-resource-type",
            "unit_test",
            "--target-path",
            str(tmp_path / "target"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "dbt"
    shutil.copytree(
        REPO_ROOT / "dbt", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb")
    )
    return project


def test_the_seeds_pass_as_they_are(tmp_path: Path) -> None:
    proc = build_seeds(copy_project(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "assert_health_rules_read_declared_measures" in proc.stdout


def test_a_rule_on_an_undeclared_measure_fails_naming_both(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    rules = project / "seeds" / "health_rules.csv"
    # support keeps its 4 points: the new rule takes one of the ticket trend's two
    text = rules.read_text().replace(
        "ticket_change_30d,lower_is_better,0.10,2,0.50,1,0,2", "ticket_change_30d,lower_is_better,0.10,1,0.50,1,0,1"
    )
    assert text != rules.read_text()
    rules.write_text(text + RULE)
    proc = build_seeds(project, tmp_path)
    assert proc.returncode != 0
    target = tmp_path / "target"
    run_results = json.loads((target / "run_results.json").read_text())
    failed = [r["unique_id"].split(".")[2] for r in run_results["results"] if r["status"] in ("fail", "error")]
    # the weights still add up: only the measure check fails
    assert failed == ["assert_health_rules_read_declared_measures"], proc.stdout[-4000:]
    # what `csw run` prints for a failed test: its failing rows, naming the rule and the measure
    (paragraph,) = describe_failed_tests(
        run_results, json.loads((target / "manifest.json").read_text()), tmp_path / "w.duckdb", {}
    )
    assert "support_urgent_open" in paragraph and "urgent_tickets_open_7d" in paragraph, paragraph
    assert "health_measures in dbt/dbt_project.yml" in paragraph, paragraph
