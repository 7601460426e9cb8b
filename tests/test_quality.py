"""Great Expectations through `quality.validate`, on a small DuckDB file (the worker process, as in a run)."""

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.quality import Validation, validate

CONFLICTS = (
    "with copied as (select k from {batch} group by k having count(*) > 1) "
    "select k, count(*) as versions from (select distinct k, v from {batch} inner join copied using (k)) as d "
    "group by k having count(*) > 1"
)


def suite(tmp_path: Path, query: str) -> Path:
    path = tmp_path / "suite.json"
    expectation = {"type": "expect_query_to_return_no_rows", "kwargs": {"unexpected_rows_query": query}}
    path.write_text(json.dumps({"name": "t.suite", "expectations": [expectation]}))
    return path


def warehouse(tmp_path: Path, rows: list[tuple[int, str]]) -> Path:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table t (k integer, v varchar)")
        conn.executemany("insert into t values (?, ?)", rows)
    return path


def run(tmp_path: Path, rows: list[tuple[int, str]], query: str = CONFLICTS):
    results, _ = validate(warehouse(tmp_path, rows), [Validation(suite(tmp_path, query), "main.t")], tmp_path / "r", {})
    return results[0]


def test_identical_copies_pass(tmp_path: Path) -> None:
    result = run(tmp_path, [(1, "a"), (1, "a"), (2, "b")])
    assert result.success and result.evaluated == 1


def test_conflicting_copies_fail_with_count_and_sample(tmp_path: Path) -> None:
    result = run(tmp_path, [(1, "a"), (1, "b"), (2, "b"), (3, "c"), (3, "d"), (3, "d")])
    assert not result.success
    failure = result.failures[0]
    assert failure.unexpected_count == 2
    assert sorted(r["k"] for r in failure.sample) == [1, 3]
    assert "2 unexpected" in str(failure)


def test_count_is_capped_at_the_sample_size_and_says_so(tmp_path: Path) -> None:
    rows = [(k, v) for k in range(250) for v in ("a", "b")]
    failure = run(tmp_path, rows).failures[0]
    assert failure.unexpected_count == "at least 200"


@pytest.mark.parametrize("query", ["select * from no_such_table", "select k from {batch} where"])
def test_a_query_that_cannot_run_is_a_failure(tmp_path: Path, query: str) -> None:
    result = run(tmp_path, [(1, "a")], query)
    assert not result.success
    assert result.failures[0].error, result.failures[0]
