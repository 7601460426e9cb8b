"""Helpers shared by the tests: run `csw` like a user does, read the warehouse read-only."""

from __future__ import annotations

import os
import re
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
    env.pop("CSW_CHECKED_THROUGH", None)
    return env


def run_csw(args: list[str], env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CSW, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def run_log(output: str) -> str:
    """The Dagster and dbt log of a `csw run`, from the path its output names (`logs: <file>`)."""
    return Path(re.search(r"logs: (\S+\.log)", output).group(1)).read_text()


INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
FLOAT_TYPES = {"FLOAT", "DOUBLE"}


def published_differences(left: Path, right: Path, float_digits: int | None = 9) -> list[str]:
    """Every way two published files differ, mart by mart: the marts, their columns and types, and their
    rows as multisets. Decimals (money, six-decimal ratios), text, dates and timestamps compare exactly,
    floating-point columns to `float_digits` decimals (None: exactly), and whole numbers by value (an
    engine's sum may be BIGINT where DuckDB's is HUGEINT). Empty when they hold the same marts row for row."""
    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only)")
    con.execute(f"attach '{right}' as r (read_only)")

    def marts(db: str) -> set[str]:
        rows = con.execute(
            "select table_name from duckdb_tables() where database_name = ? and not starts_with(table_name, '_')", [db]
        ).fetchall()
        return {r[0] for r in rows}

    problems = [f"mart only in left: {m}" for m in marts("l") - marts("r")]
    problems += [f"mart only in right: {m}" for m in marts("r") - marts("l")]
    for mart in sorted(marts("l") & marts("r")):
        lcols = con.execute(f'describe l.main."{mart}"').fetchall()
        rcols = con.execute(f'describe r.main."{mart}"').fetchall()
        if [c[0] for c in lcols] != [c[0] for c in rcols]:
            problems.append(f"{mart}: columns {[c[0] for c in lcols]} != {[c[0] for c in rcols]}")
            continue
        select = []
        for (name, ltype, *_), (_, rtype, *_) in zip(lcols, rcols, strict=True):
            if ltype in INTEGER_TYPES and rtype in INTEGER_TYPES:
                select.append(f'cast("{name}" as hugeint) as "{name}"')
            elif ltype in FLOAT_TYPES and rtype in FLOAT_TYPES and float_digits is not None:
                select.append(f'round(cast("{name}" as double), {float_digits}) as "{name}"')
            elif ltype != rtype:
                problems.append(f"{mart}.{name}: type {ltype} != {rtype}")
                select.append(f'cast("{name}" as varchar) as "{name}"')
            else:
                select.append(f'"{name}"')
        cols = ", ".join(select)
        for a, b, side in (("l", "r", "left"), ("r", "l", "right")):
            query = f'select {cols} from {a}.main."{mart}" except all select {cols} from {b}.main."{mart}"'
            extra = con.execute(f"select count(*) from ({query})").fetchone()[0]
            if extra:
                sample = con.execute(f"{query} limit 2").fetchall()
                problems.append(f"{mart}: {extra} row(s) only in {side}, e.g. {sample}")
    con.close()
    return problems
