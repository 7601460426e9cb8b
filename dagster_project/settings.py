"""Paths and knobs, all from environment variables with working defaults.

Everything lives under `CSW_DATA_DIR` (default: `data/` in the repository) unless
a more specific variable says otherwise. Nothing here is secret.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Another copy of the dbt project can be pointed at (tests use this to change seeds).
DBT_PROJECT_DIR = Path(os.environ.get("CSW_DBT_PROJECT_DIR", REPO_ROOT / "dbt")).resolve()
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

# The built-in sample data is generated "as of" this date so that it is the same
# bytes on every machine; `make run` passes it to the pipeline too.
SAMPLE_AS_OF = "2026-11-15"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    quarantine_dir: Path
    warehouse_path: Path
    publish_dir: Path
    publish_keep: int
    dbt_threads: int
    duckdb_memory_limit: str

    @classmethod
    def from_env(cls) -> Settings:
        data = Path(os.environ.get("CSW_DATA_DIR", REPO_ROOT / "data")).resolve()
        return cls(
            data_dir=data,
            landing_dir=Path(os.environ.get("CSW_LANDING_DIR", data / "landing")).resolve(),
            quarantine_dir=Path(os.environ.get("CSW_QUARANTINE_DIR", data / "quarantine")).resolve(),
            warehouse_path=Path(os.environ.get("CSW_WAREHOUSE_PATH", data / "warehouse.duckdb")).resolve(),
            publish_dir=Path(os.environ.get("CSW_PUBLISH_DIR", data / "published")).resolve(),
            publish_keep=int(os.environ.get("CSW_PUBLISH_KEEP", "7")),
            dbt_threads=int(os.environ.get("CSW_DBT_THREADS", "2")),
            duckdb_memory_limit=os.environ.get("CSW_DUCKDB_MEMORY_LIMIT", "2GB"),
        )

    def duckdb_config(self) -> dict[str, str]:
        """For every DuckDB connection we open. DuckDB's default memory limit, 80% of RAM, let one
        run's process tree reach 8 GiB at 5,000 accounts; with a limit DuckDB spills to disk instead."""
        return {"memory_limit": self.duckdb_memory_limit}

    def export_for_dbt(self) -> None:
        """dbt's profiles.yml reads these; set them so a dbt subprocess sees our paths."""
        os.environ["CSW_WAREHOUSE_PATH"] = str(self.warehouse_path)
        os.environ["CSW_DBT_THREADS"] = str(self.dbt_threads)
        os.environ["CSW_DUCKDB_MEMORY_LIMIT"] = self.duckdb_memory_limit


def get_settings() -> Settings:
    return Settings.from_env()
