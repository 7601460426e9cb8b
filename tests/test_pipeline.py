"""The whole pipeline on a small generated dataset, run the way a user runs it (`csw run`)."""

from __future__ import annotations

from pathlib import Path

from dagster_project.contract import TABLES
from tests.helpers import PipelineRun, pipeline_env, run_csw


def test_run_succeeds_and_prints_a_short_readable_summary(pipeline_run: PipelineRun) -> None:
    assert pipeline_run.returncode == 0, pipeline_run.output[-4000:]
    lines = pipeline_run.output.splitlines()
    assert len(lines) <= 40, pipeline_run.output
    for stage in ("extract", "raw checks", "dbt build", "mart checks", "publish"):
        assert any(line.strip().startswith(f"{stage} ") and " ok " in line for line in lines), (stage, lines)
    extract = next(line for line in lines if line.strip().startswith("extract "))
    assert f" {len(TABLES)} tables: " in extract, "the extract line counts every table, not those done so far"
    assert "1,160,292" not in pipeline_run.output, "row counts of staging models are in the log, not the summary"
    for fact in ("ARR $", "MRR $", "NRR ", "GRR ", " green, ", "Renewals in the next 30 days", "churn-risk alerts"):
        assert fact in pipeline_run.output, (fact, pipeline_run.output)
    log = Path(lines[0].split("logs: ", 1)[1])
    assert log.exists() and "warehouse_dbt_assets" in log.read_text(), "Dagster's and dbt's logs went to the log file"


def test_staging_is_deduplicated_and_soft_deletes_are_gone(pipeline_run: PipelineRun) -> None:
    raw_versions, raw_keys, deleted_keys = pipeline_run.query("""
        select sum(versions), count(*), count(*) filter (where last_is_deleted)
        from (select ticket_id, count(*) as versions, arg_max(is_deleted, updated_at) as last_is_deleted
              from raw.support__tickets group by ticket_id)""")[0]
    staged = pipeline_run.query("select count(*), count(distinct ticket_id) from staging.stg_support__tickets")[0]
    assert raw_versions > raw_keys
    assert deleted_keys > 0
    assert staged == (raw_keys - deleted_keys, raw_keys - deleted_keys)


def test_staging_keeps_the_latest_version(pipeline_run: PipelineRun) -> None:
    mismatches = pipeline_run.query("""
        with latest as (
            select ticket_id, max(updated_at) as updated_at from raw.support__tickets group by ticket_id
        )
        select count(*) from staging.stg_support__tickets s
        join latest l using (ticket_id)
        where s.updated_at <> cast(timezone('UTC', l.updated_at) as timestamp)""")[0][0]
    assert mismatches == 0


def test_second_run_loads_no_new_rows(workspace: Path) -> None:
    # on a copy of the session's run: the session's own folder is read by both test workers at once
    again = PipelineRun(workspace, pipeline_env(workspace), 0, "")
    before = again.query("select count(*) from raw._load_log")[0][0]
    counts = again.query("select count(*) from raw.product__events")[0][0]
    # --force: without it a run that finds nothing new stops before the extract (tests/test_incremental.py)
    proc = run_csw(["run", "--as-of", "2026-11-15", "--force"], again.env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Published in" in proc.stdout
    assert again.query("select count(*) from raw._load_log")[0][0] == before
    assert again.query("select count(*) from raw.product__events")[0][0] == counts


def test_extract_and_dbt_checks_were_evaluated(pipeline_run: PipelineRun) -> None:
    # dbt writes run_results.json for the last invocation; the pipeline's dbt build ran the unit tests too
    assert "failed checks" not in pipeline_run.output, pipeline_run.output[-3000:]
