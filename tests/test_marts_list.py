"""One list of marts (the dbt models under models/marts/): every one published and checked."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.defs.transform.dbt import MART_KEYS, dbt_project
from dagster_project.lib.marts import mart_names
from dagster_project.lib.quality import mart_suite_path
from tests.helpers import PipelineRun

MODELS = Path(dbt_project.project_dir) / "models" / "marts"


def test_the_list_is_every_model_under_marts() -> None:
    on_disk = sorted(p.stem for p in MODELS.rglob("*.sql"))
    assert mart_names(Path(dbt_project.manifest_path)) == on_disk
    assert [key.path[-1] for key in MART_KEYS] == on_disk


def test_every_mart_has_a_suite() -> None:
    """A new mart needs expectations/marts/<mart>.json: without one it would be published unchecked."""
    missing = [name for name in mart_names(Path(dbt_project.manifest_path)) if not mart_suite_path(name).exists()]
    assert not missing, f"marts without a suite in expectations/marts/: {missing}"


def test_every_mart_is_published(pipeline_run: PipelineRun) -> None:
    assert pipeline_run.returncode == 0, pipeline_run.output[-3000:]
    conn = duckdb.connect(str(pipeline_run.data_dir / "published" / "marts.duckdb"), read_only=True)
    try:
        published = sorted(
            r[0]
            for r in conn.execute(
                "select table_name from duckdb_tables() where table_name not like '\\_%' escape '\\'"
            ).fetchall()
        )
    finally:
        conn.close()
    # besides the marts, the publication's own record BI reads (lib/restatements.py); `_`-tables are the log
    assert published == sorted([*mart_names(Path(dbt_project.manifest_path)), "metric_restatements"])
