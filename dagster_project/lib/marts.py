"""The published marts: one list, read from the dbt manifest (every model under `models/marts/`).

Publish, the mart checks and `csw status` take the list from here, so a new mart is a new SQL
file under `dbt/models/marts/` plus its suite `expectations/marts/<mart>.json` (a test fails
without one). Every mart also gets the row-count floor below, generated rather than copied into
each suite.

Plain Python: no Dagster imports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MARTS_PATH = "models/marts/"
# A mart may shrink, but not below this share of the rows last published.
ROW_FLOOR = 0.5
ROW_FLOOR_EXPECTATION: dict[str, Any] = {
    "type": "expect_table_row_count_to_be_between",
    "kwargs": {"min_value": {"$PARAMETER": "min_rows"}},
    "meta": {"notes": f"row count not collapsing: at least {ROW_FLOOR:.0%} of the last published version's"},
}


def mart_names(manifest: Mapping[str, Any] | Path) -> list[str]:
    """The names of the models under `models/marts/`, sorted: the marts BI reads."""
    if isinstance(manifest, Path):
        manifest = json.loads(manifest.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(MARTS_PATH)
    )


def row_floor(published_rows: int) -> int:
    """The fewest rows a mart may have, given how many its last published version had."""
    return int(published_rows * ROW_FLOOR)
