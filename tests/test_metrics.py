"""Metrics by name (issue 27): the semantic layer validates on the published marts, and MetricFlow's answer for
every metric at its main grains is the marts' own figure: amounts to the cent, ratios within the marts'
rounding to six decimals (MetricFlow divides in double precision, the marts round half up to 1e-6)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from dagster_project.lib.metrics import SemanticLayer
from dagster_project.lib.settings import REPO_ROOT
from tests.helpers import PipelineRun, pipeline_env, run_csw

# a ratio published with six decimals, rounded half up: MetricFlow's double differs by at most half a unit
RATIO_TOLERANCE = 5e-7 + 1e-12
MONEY = ("mrr", "starting_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr")
CC_MONEY = ("fx_adjustment_mrr", "cc_expansion_mrr", "cc_contraction_mrr", "cc_churned_mrr")


@pytest.fixture(scope="module")
def layer(pipeline_run: PipelineRun) -> Iterator[SemanticLayer]:
    assert pipeline_run.returncode == 0, pipeline_run.output[-3000:]
    with SemanticLayer(pipeline_run.data_dir / "published" / "marts.duckdb", REPO_ROOT / "dbt") as s:
        yield s


def by_key(columns: list[str], rows: list[tuple], keys: int) -> dict[tuple, dict[str, object]]:
    return {tuple(_day(v) for v in r[:keys]): dict(zip(columns[keys:], r[keys:], strict=True)) for r in rows}


def _day(value: object) -> object:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def assert_close(name: str, key: tuple, got: object, want: object) -> None:
    if want is None:
        assert got is None, (name, key, got)
    elif isinstance(want, Decimal) and want.as_tuple().exponent == -2:
        assert Decimal(str(got)).quantize(Decimal("0.01")) == want, (name, key, got, want)
    elif isinstance(want, Decimal) or isinstance(got, float):
        assert got is not None and abs(float(got) - float(want)) <= RATIO_TOLERANCE, (name, key, got, want)
    else:
        assert got == want, (name, key, got, want)


def test_the_semantic_layer_validates_on_the_published_marts(layer: SemanticLayer) -> None:
    assert layer.validate() == []
    names = {m.name for m in layer.metrics()}
    assert {"mrr", "arr", "nrr", "grr", "cc_nrr", "cc_grr", "logo_churn_rate", "quick_ratio", "arpa"} <= names
    assert {"paying_accounts", "scored_accounts", "renewing_arr", "reactivated_accounts"} <= names


def test_revenue_metrics_by_month_and_tier_are_the_marts(pipeline_run: PipelineRun, layer: SemanticLayer) -> None:
    metrics = [*MONEY, *CC_MONEY, "arr", "paying_accounts", "churned_accounts", "reactivated_accounts"]
    metrics += ["logo_churn_rate", "quick_ratio", "arpa"]
    mart_columns = {"paying_accounts": "paying_accounts", "arr": "arr", "arpa": "arpa"}
    select = ", ".join(mart_columns.get(m, m) for m in metrics)
    for group_by, tier_filter in (
        (["month"], "service_tier = 'all'"),
        (["month", "account_month__service_tier"], "service_tier <> 'all'"),
    ):
        columns, rows = layer.query(metrics, group_by)
        got = by_key(columns, rows, len(group_by))
        keys = "month" if len(group_by) == 1 else "month, service_tier"
        want = by_key(
            [*keys.split(", "), *metrics],
            pipeline_run.query(f"select {keys}, {select} from marts.saas_metrics_monthly where {tier_filter}"),
            len(group_by),
        )
        # the mart has a row for every tier and month, MetricFlow only where an account was: the rest are zeros
        assert set(got) <= set(want) and len(got) > 20
        for key, values in want.items():
            if key not in got:
                assert not any(values[m] for m in MONEY), key
                continue
            for m in metrics:
                expected = values[m]
                if m == "arpa" and expected is not None:
                    # the mart divides whole cents exactly and rounds to the cent; MetricFlow does not round,
                    # and in floating point an exact half cent can land a hair beyond it (3135.885 read as
                    # 3135.88499999..., 0.0050000000001 from the mart's 3135.89)
                    assert abs(float(got[key][m]) - float(expected)) <= 0.005 + 1e-9, (m, key)
                    continue
                assert_close(m, key, got[key][m], expected)


def test_retention_metrics_by_month_and_segment_are_the_marts(pipeline_run: PipelineRun, layer: SemanticLayer) -> None:
    metrics = ["nrr", "grr", "cc_nrr", "cc_grr", "logo_retention"]
    columns, rows = layer.query(metrics, ["month", "retention_row__segment_type", "retention_row__segment"])
    got = by_key(columns, rows, 3)
    want = by_key(
        ["month", "segment_type", "segment", *metrics],
        pipeline_run.query(f"select month, segment_type, segment, {', '.join(metrics)} from marts.nrr_monthly"),
        3,
    )
    assert got.keys() == want.keys() and len(got) > 50
    for key, values in want.items():
        for m in metrics:
            assert_close(m, key, got[key][m], values[m])
    # by month alone: every segmentation covers the same base, so the ratios are the overall figure
    columns, rows = layer.query(["nrr", "grr"], ["month"])
    for key, values in by_key(columns, rows, 1).items():
        overall = want[(key[0], "all", "all")]
        assert_close("nrr", key, values["nrr"], overall["nrr"])
        assert_close("grr", key, values["grr"], overall["grr"])


def test_health_and_renewal_metrics_are_the_marts(pipeline_run: PipelineRun, layer: SemanticLayer) -> None:
    columns, rows = layer.query(["scored_accounts"], ["week", "health_week__health_band"])
    want = {
        (w, b): n
        for w, b, n in pipeline_run.query(
            "select week_start, health_band, count(*) from marts.account_health_weekly group by week_start, health_band"
        )
    }
    assert {k: v["scored_accounts"] for k, v in by_key(columns, rows, 2).items()} == want
    columns, rows = layer.query(["renewing_arr"], ["renewal__renewal_kind"])
    want = dict(pipeline_run.query("select renewal_kind, sum(arr) from marts.renewal_pipeline group by renewal_kind"))
    assert {k[0]: v["renewing_arr"] for k, v in by_key(columns, rows, 1).items()} == want
    # the forecast: each renewal rounds to the cent, the forecast mart rounds the sum
    columns, rows = layer.query(["expected_renewed_arr"], ["renewal__renewal_kind"])
    forecast = {
        kind: (expected, n)
        for kind, expected, n in pipeline_run.query(
            "select segment, expected_renewed_arr, renewals from marts.renewal_forecast "
            "where horizon_days = 90 and segment_type = 'renewal_kind'"
        )
    }
    got = {k[0]: v["expected_renewed_arr"] for k, v in by_key(columns, rows, 1).items()}
    assert got.keys() == forecast.keys()
    for kind, (expected, n) in forecast.items():
        assert abs(got[kind] - expected) <= Decimal("0.005") * n, (kind, got[kind], expected)


def test_csw_metrics_query_reads_the_published_version(pipeline_run: PipelineRun) -> None:
    env = pipeline_env(pipeline_run.data_dir)
    proc = run_csw(
        [
            "metrics",
            "query",
            "--metrics",
            "nrr,mrr",
            "--group-by",
            "month",
            "--order-by=-month",
            "--limit",
            "2",
            "--csv",
        ],
        env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "metric_time__month,nrr,mrr"
    month, nrr, mrr = lines[1].split(",")
    want_nrr, want_mrr = pipeline_run.query(
        "select n.nrr, s.mrr from marts.nrr_monthly n join marts.saas_metrics_monthly s using (month) "
        "where n.segment_type = 'all' and s.service_tier = 'all' and month = ?",
        [month[:10]],
    )[0]
    assert Decimal(mrr) == want_mrr and abs(float(nrr) - float(want_nrr)) <= RATIO_TOLERANCE
    proc = run_csw(["metrics", "query", "--metrics", "net_revenue_retention"], env)
    assert proc.returncode == 2 and "does not exactly match any known metrics" in proc.stderr, proc.stderr


def test_the_sql_for_a_bi_tool_runs_on_the_published_file(pipeline_run: PipelineRun, layer: SemanticLayer) -> None:
    """`csw metrics query --explain` prints SQL on the published file's own table names: a BI tool's custom SQL
    on data/published/marts.duckdb returns what `csw metrics query` returns."""
    import duckdb

    args = (["mrr", "quick_ratio", "paying_accounts"], ["month", "account_month__service_tier"])
    text = layer.published_sql(*args)
    assert '"warehouse"' not in text
    conn = duckdb.connect(str(pipeline_run.data_dir / "published" / "marts.duckdb"), read_only=True)
    try:
        direct = sorted(conn.execute(text).fetchall(), key=str)
    finally:
        conn.close()
    assert direct == sorted(layer.query(*args)[1], key=str) and len(direct) > 20
