"""What every asset of a run agrees on: the run's logical (as-of) date, resolved in one place.

The CLI, the daily schedule, the landing sensor and a run launched from the Dagster UI all get
their as-of date from `resolve_as_of`: the run's tag when it has one (`csw run --as-of`, the
schedule's date), else `$CSW_AS_OF`, else the sample data's as-of date when the landing folder
holds the built-in sample, else today's date in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime

from dagster_project.lib.settings import Settings

AS_OF_TAG = "csw/as_of"
# "true": rebuild the incremental dbt models from scratch (dbt build --full-refresh)
FULL_REFRESH_TAG = "csw/full_refresh"
# written by the sample-data generator next to the extracts it writes
SAMPLE_MANIFEST = "_sample_manifest.json"


def parse_as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"as-of date {value!r} is not a date in YYYY-MM-DD form") from e


def sample_as_of(settings: Settings) -> date | None:
    """The as-of date of the built-in sample data, when the landing folder holds it."""
    manifest = settings.landing_dir / SAMPLE_MANIFEST
    if not manifest.exists():
        return None
    return parse_as_of(json.loads(manifest.read_text())["as_of"])


def resolve_as_of(tags: Mapping[str, str] | None, settings: Settings) -> date:
    """The run tag wins, then $CSW_AS_OF, then the sample data's date, then today's date in UTC."""
    value = (tags or {}).get(AS_OF_TAG)
    if value:
        return parse_as_of(value)
    return settings.as_of or sample_as_of(settings) or datetime.now(UTC).date()
