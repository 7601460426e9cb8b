"""The warehouse resource: where the DuckDB build file lives and how to open it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from dagster_project.settings import get_settings


class WarehouseResource(ConfigurableResource):
    """Paths default to the environment (see `dagster_project.settings`)."""

    warehouse_path: str = ""
    landing_dir: str = ""
    quarantine_dir: str = ""

    def _settings_path(self, value: str, attr: str) -> Path:
        return Path(value) if value else getattr(get_settings(), attr)

    @property
    def path(self) -> Path:
        return self._settings_path(self.warehouse_path, "warehouse_path")

    @property
    def landing(self) -> Path:
        return self._settings_path(self.landing_dir, "landing_dir")

    @property
    def quarantine(self) -> Path:
        return self._settings_path(self.quarantine_dir, "quarantine_dir")

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open, use, close: never hold the file longer than one step needs it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(self.path), read_only=read_only, config=get_settings().duckdb_config())
        try:
            yield conn
        finally:
            conn.close()
