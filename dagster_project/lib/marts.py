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


def has_row_floor(suite: Path) -> bool:
    """Whether the mart's suite keeps the row-count floor: every mart does, unless its suite's `meta` says
    `"row_floor": false` (a mart that is one week's snapshot, like automation_audiences, whose rows may
    halve from one week to the next, or when a stale source holds its tasks back)."""
    return json.loads(suite.read_text()).get("meta", {}).get("row_floor", True) is not False


def row_floor(published_rows: int) -> int:
    """The fewest rows a mart may have, given how many its last published version had."""
    return int(published_rows * ROW_FLOOR)


def upstream(manifest: Mapping[str, Any], model: str) -> set[str]:
    """The unique ids of every node `model` reads, directly or through others (sources and seeds included)."""
    parents = manifest["parent_map"]
    todo = [n for n in parents if n.startswith("model.") and n.split(".")[-1] == model]
    seen: set[str] = set()
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def source_tables(manifest: Mapping[str, Any] | Path, models: list[str]) -> dict[str, list[str]]:
    """Per model, the raw tables (`<source>__<table>`) it reads, directly or through other models."""
    if isinstance(manifest, Path):
        manifest = json.loads(manifest.read_text())
    sources = manifest["sources"]
    return {
        model: sorted(sources[n]["identifier"] or sources[n]["name"] for n in upstream(manifest, model) if n in sources)
        for model in models
    }
