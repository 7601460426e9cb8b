"""What every asset of a run needs to agree on: the run's logical (as-of) date."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

AS_OF_TAG = "csw/as_of"
# "true": rebuild the incremental dbt models from scratch (dbt build --full-refresh)
FULL_REFRESH_TAG = "csw/full_refresh"


def parse_as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"as-of date {value!r} is not a date in YYYY-MM-DD form") from e


def as_of_for_run(tags: dict[str, str] | None) -> date:
    """The run tag wins, then $CSW_AS_OF, then today's date in UTC."""
    value = (tags or {}).get(AS_OF_TAG) or os.environ.get("CSW_AS_OF")
    if value:
        return parse_as_of(value)
    return datetime.now(UTC).date()
