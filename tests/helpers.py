"""Helpers shared by the tests: run `csw` like a user does, read the warehouse read-only."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.generator import GeneratorOptions

REPO = Path(__file__).resolve().parent.parent
CSW = str(Path(sys.executable).with_name("csw"))
# The built-in sample data, exactly what `make run` builds.
PIPELINE_OPTIONS = GeneratorOptions()


@dataclass
class PipelineRun:
    data_dir: Path
    env: dict[str, str]
    returncode: int
    output: str

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        conn = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return conn.execute(sql, params or []).fetchall()
        finally:
            conn.close()


def pipeline_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CSW_DATA_DIR=str(data_dir),
        DAGSTER_HOME=str(data_dir / "dagster_home"),
        CSW_LOG_LEVEL="WARNING",
    )
    env.pop("CSW_WAREHOUSE_PATH", None)
    env.pop("CSW_AS_OF", None)
    env.pop("CSW_AS_OF_DATE", None)
    return env


def run_csw(args: list[str], env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CSW, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
