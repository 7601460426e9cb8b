"""The same warehouse on Spark: one small sample built on DuckDB and on Spark publishes the same marts.

30 accounts x 15 months (15, not 12: NRR and GRR need a month twelve months back, so with 12 months
nrr_monthly would be empty on both engines and prove nothing). Both runs are the whole pipeline,
`csw run`: extract, raw checks, dbt build with its tests, mart checks, publish. Every published
mart is compared row for row (`published_differences`): money and six-decimal ratios exactly,
floating-point columns to 1e-9.

The local-session test runs in `make test`; the cluster test (`make test-spark-cluster`) starts a
Spark standalone cluster here (master, two workers, Thrift server) and runs the same comparison.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dagster_project.devtools import spark_cluster
from dagster_project.generator import GeneratorOptions, generate
from tests.helpers import PipelineRun, pipeline_env, published_differences, run_csw

SMALL = GeneratorOptions(accounts=30, months=15)


def _run(data_dir: Path, landing: Path, extra_env: dict[str, str]) -> PipelineRun:
    shutil.copytree(landing, data_dir / "landing")
    env = pipeline_env(data_dir) | extra_env
    proc = run_csw(["run", "--as-of", SMALL.as_of.isoformat()], env)
    return PipelineRun(data_dir, env, proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small") / "landing"
    generate(folder, SMALL)
    return folder


@pytest.fixture(scope="module")
def duckdb_run(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    run = _run(tmp_path_factory.mktemp("duckdb"), landing, {"CSW_ENGINE": "duckdb"})
    assert run.returncode == 0, run.output[-3000:]
    return run


def _engine(run: PipelineRun) -> str:
    con = duckdb.connect(str(run.data_dir / "published" / "marts.duckdb"), read_only=True)
    try:
        return con.execute("select engine from _publish_log order by published_at desc limit 1").fetchone()[0]
    finally:
        con.close()


def _assert_same_marts(duckdb_run: PipelineRun, spark_run: PipelineRun) -> None:
    assert spark_run.returncode == 0, spark_run.output[-3000:]
    assert _engine(duckdb_run) == "duckdb" and _engine(spark_run) == "spark"
    differences = published_differences(
        duckdb_run.data_dir / "published" / "marts.duckdb", spark_run.data_dir / "published" / "marts.duckdb"
    )
    assert differences == [], "\n".join(differences)
    # the comparison is not vacuous: every mart is there, and the ones that need history have rows
    con = duckdb.connect(str(spark_run.data_dir / "published" / "marts.duckdb"), read_only=True)
    try:
        for mart in ("mrr_movements", "nrr_monthly", "account_health_weekly", "health_score_backtest", "cs_tasks"):
            assert con.execute(f"select count(*) from {mart}").fetchone()[0] > 0, mart
    finally:
        con.close()


def test_spark_in_a_local_session_publishes_the_same_marts(
    duckdb_run: PipelineRun, landing: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    spark_run = _run(tmp_path_factory.mktemp("spark"), landing, {"CSW_ENGINE": "spark"})
    _assert_same_marts(duckdb_run, spark_run)
    # the lake holds every raw table, one Parquet file per accepted load, and the ledger
    raw = spark_run.data_dir / "lake" / "raw"
    tables = [p for p in raw.iterdir() if not p.name.startswith("_")]
    assert len(tables) == 14 and list(raw.glob("crm__accounts/*.parquet"))
    assert (raw / "_ledger" / "_load_log.parquet").exists()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[spark_cluster.Cluster]:
    started = spark_cluster.start(tmp_path_factory.mktemp("spark-cluster"))
    yield started
    spark_cluster.stop(started.folder)


@pytest.mark.spark_cluster
def test_spark_on_a_standalone_cluster_publishes_the_same_marts(
    duckdb_run: PipelineRun, landing: Path, cluster: spark_cluster.Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    spark_run = _run(tmp_path_factory.mktemp("spark-on-cluster"), landing, cluster.env())
    _assert_same_marts(duckdb_run, spark_run)
    assert "thrift" in (cluster.folder / "thrift.log").read_text().lower()
    # a second run rebuilds every mart over the previous build's files in the lake (a daily run does)
    again = run_csw(["run", "--as-of", SMALL.as_of.isoformat(), "--force"], spark_run.env)
    assert "Published in" in again.stdout, again.stdout[-3000:]
    _assert_same_marts(duckdb_run, PipelineRun(spark_run.data_dir, spark_run.env, again.returncode, again.stdout))
