"""docs/sources.md and the dbt source YAML are generated from the contract and must be current."""

from __future__ import annotations

from dagster_project.contract import DUCKDB_TYPES, TABLES
from dagster_project.lib.contract_docs import stale_files


def test_generated_docs_are_current() -> None:
    assert stale_files() == [], "run `csw contract --write`"


def test_contract_is_well_formed() -> None:
    for t in TABLES:
        names = t.column_names
        assert len(names) == len(set(names)), t.raw_name
        for key in t.key:
            assert t.column(key).required, f"{t.raw_name}.{key} is a key and must be required"
        for c in t.columns:
            assert c.type in DUCKDB_TYPES
            assert c.meaning and c.example
        if t.version_column:
            assert t.version_column in names
