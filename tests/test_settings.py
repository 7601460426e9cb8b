"""One `Settings` from the environment, and one as-of resolution for every way a run starts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.run_context import AS_OF_TAG, SAMPLE_MANIFEST, resolve_as_of
from dagster_project.lib.settings import Settings, SettingsError


def test_everything_follows_the_data_dir(tmp_path: Path) -> None:
    s = Settings.from_env({"CSW_DATA_DIR": str(tmp_path)})
    assert s.landing_dir == tmp_path / "landing" and s.warehouse_path == tmp_path / "warehouse.duckdb"
    assert s.publish_dir == tmp_path / "published" and s.dagster_home == tmp_path / "dagster_home"
    assert s.quality_dir == tmp_path / "quality"


def test_settings_round_trip_through_the_resource(tmp_path: Path) -> None:
    env = {"CSW_DATA_DIR": str(tmp_path), "CSW_PUBLISH_KEEP": "3", "CSW_AS_OF": "2026-01-31", "CSW_LOG_LEVEL": "debug"}
    s = Settings.from_env(env)
    assert Settings.from_env(s.to_env()) == s
    assert WarehouseResource.from_settings(s).settings == s
    assert s.publish_keep == 3 and s.as_of == date(2026, 1, 31) and s.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CSW_PUBLISH_KEEP": "seven"}, "CSW_PUBLISH_KEEP='seven' is not a whole number"),
        ({"CSW_AS_OF": "yesterday"}, "CSW_AS_OF='yesterday' is not a date"),
        ({"CSW_ENGINE": "oracle"}, "CSW_ENGINE='oracle'"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_as_of_tag_then_variable_then_sample_then_today(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    plain = Settings.from_env({"CSW_DATA_DIR": str(tmp_path)})
    assert resolve_as_of({AS_OF_TAG: "2026-02-03"}, plain) == date(2026, 2, 3)
    today = resolve_as_of(None, plain)
    (landing / SAMPLE_MANIFEST).write_text(json.dumps({"as_of": "2026-11-15"}))
    assert resolve_as_of(None, plain) == date(2026, 11, 15) != today
    pinned = Settings.from_env({"CSW_DATA_DIR": str(tmp_path), "CSW_AS_OF": "2026-05-01"})
    assert resolve_as_of({}, pinned) == date(2026, 5, 1)
    assert resolve_as_of({AS_OF_TAG: "2026-02-03"}, pinned) == date(2026, 2, 3)
