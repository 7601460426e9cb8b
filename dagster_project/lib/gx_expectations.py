"""Expectations of our own, on top of Great Expectations 1.x (imported by the GX worker only)."""

from typing import Any, ClassVar

from great_expectations.constants import MAX_RESULT_RECORDS
from great_expectations.expectations import UnexpectedRowsExpectation


class ExpectQueryToReturnNoRows(UnexpectedRowsExpectation):
    """`unexpected_rows_expectation`, evaluated with one query instead of two.

    GX's own runs the query once to fetch the rows and again to count them; for the raw
    "one record per key and version" checks that is two aggregations over every loaded row
    (2 x 5 s on 28M events). This one fetches up to GX's sample size and counts what it
    fetched, so its observed value is capped there ("at least N").
    """

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.table",)

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        rows = metrics["unexpected_rows_query.table"]
        observed = len(rows) if len(rows) < MAX_RESULT_RECORDS else f"at least {len(rows)}"
        return {"success": not rows, "result": {"observed_value": observed, "details": {"unexpected_rows": rows}}}
