"""Every setting of the warehouse, from environment variables with working defaults: one `Settings`.

An entry point (`csw`, the Dagster definitions, the dashboard, the benchmark) builds it once with
`Settings.from_env()` and passes it down; plain modules take it, or the values they need, as
arguments and never read the environment themselves. Everything lives under `CSW_DATA_DIR`
(default: `data/` in the repository) unless a more specific variable says otherwise. Nothing here
is secret except the webhook URL, which is never logged.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

# The built-in sample data is generated "as of" this date so that it is the same
# bytes on every machine; `make run` passes it to the pipeline too.
SAMPLE_AS_OF = "2026-11-15"
ENGINES = ("duckdb", "spark")


class SettingsError(ValueError):
    """An environment variable with a value the warehouse cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    quarantine_dir: Path
    warehouse_path: Path
    publish_dir: Path
    publish_keep: int
    # another copy of the dbt project can be pointed at (tests use this to change seeds)
    dbt_project_dir: Path
    dbt_threads: int
    duckdb_memory_limit: str
    # a run's logical date when none is given (`docs/architecture.md`, "The as-of date")
    as_of: date | None
    alert_webhook_url: str | None
    log_level: str
    dagster_home: Path
    engine: str
    # PostgreSQL source (docs/sources.md, "Tables in PostgreSQL"): tables of the bindings file are read
    # from this database instead of the landing folder. The URL carries credentials: never printed.
    pg_url: str | None = field(default=None, repr=False)
    pg_bindings_path: Path = REPO_ROOT / "dagster_project" / "postgres_bindings.yml"
    pg_batch_rows: int = 50_000
    pg_overlap_minutes: int = 10
    # CSW_ENGINE=spark (docs/scale-out.md): the lake (raw Parquet, Spark's tables and catalog), and
    # where Spark runs: an in-process session (`spark_master`, e.g. local[2] or spark://host:7077),
    # or, when `spark_host` is set, a cluster's Thrift server at spark_host:spark_port.
    lake_dir: Path = REPO_ROOT / "data" / "lake"
    # the Great Expectations suites (raw/<table>.json, marts/<mart>.json)
    expectations_dir: Path = EXPECTATIONS_DIR
    spark_master: str = "local[2]"
    spark_driver_memory: str = "3g"
    spark_host: str | None = None
    spark_port: int = 10000
    spark_file_format: str = "parquet"
    # Stripe source (docs/sources.md, "Stripe"): billing read from the API when a key is set. The key is a
    # secret: never printed (repr=False), logged or written (`lib/sources/stripe.redact`).
    stripe_api_key: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    stripe_account_key: str = "account_id"
    stripe_plan_key: str = "plan"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def path(name: str, default: Path) -> Path:
            return Path(env.get(name) or default).resolve()

        def integer(name: str, default: int) -> int:
            value = env.get(name) or str(default)
            try:
                return int(value)
            except ValueError:
                raise SettingsError(f"{name}={value!r} is not a whole number") from None

        data = path("CSW_DATA_DIR", REPO_ROOT / "data")
        as_of = env.get("CSW_AS_OF") or None
        try:
            as_of_date = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise SettingsError(f"CSW_AS_OF={as_of!r} is not a date in YYYY-MM-DD form") from None
        engine = env.get("CSW_ENGINE") or "duckdb"
        if engine not in ENGINES:
            raise SettingsError(f"CSW_ENGINE={engine!r}: the engines are {', '.join(ENGINES)}")
        if engine == "spark" and importlib.util.find_spec("dbt.adapters.spark") is None:
            raise SettingsError(
                "CSW_ENGINE=spark needs the `spark` extra (PySpark and dbt-spark), not in the default install: "
                "`make setup-spark` (or `.venv/bin/pip install -e '.[spark]'`); `CSW_ENGINE=spark make run` does it"
            )
        return cls(
            data_dir=data,
            landing_dir=path("CSW_LANDING_DIR", data / "landing"),
            quarantine_dir=path("CSW_QUARANTINE_DIR", data / "quarantine"),
            warehouse_path=path("CSW_WAREHOUSE_PATH", data / "warehouse.duckdb"),
            publish_dir=path("CSW_PUBLISH_DIR", data / "published"),
            publish_keep=integer("CSW_PUBLISH_KEEP", 7),
            dbt_project_dir=path("CSW_DBT_PROJECT_DIR", REPO_ROOT / "dbt"),
            dbt_threads=integer("CSW_DBT_THREADS", 2),
            duckdb_memory_limit=env.get("CSW_DUCKDB_MEMORY_LIMIT") or "2GB",
            as_of=as_of_date,
            alert_webhook_url=env.get("CSW_ALERT_WEBHOOK_URL") or None,
            log_level=(env.get("CSW_LOG_LEVEL") or "INFO").upper(),
            dagster_home=path("DAGSTER_HOME", data / "dagster_home"),
            engine=engine,
            pg_url=env.get("CSW_PG_URL") or None,
            pg_bindings_path=path("CSW_PG_BINDINGS", REPO_ROOT / "dagster_project" / "postgres_bindings.yml"),
            pg_batch_rows=integer("CSW_PG_BATCH_ROWS", 50_000),
            pg_overlap_minutes=integer("CSW_PG_OVERLAP_MINUTES", 10),
            lake_dir=path("CSW_LAKE_DIR", data / "lake"),
            expectations_dir=path("CSW_EXPECTATIONS_DIR", EXPECTATIONS_DIR),
            spark_master=env.get("CSW_SPARK_MASTER") or "local[2]",
            spark_driver_memory=env.get("CSW_SPARK_DRIVER_MEMORY") or "3g",
            spark_host=env.get("CSW_SPARK_HOST") or None,
            spark_port=integer("CSW_SPARK_PORT", 10000),
            spark_file_format=env.get("CSW_SPARK_FILE_FORMAT") or "parquet",
            stripe_api_key=env.get("CSW_STRIPE_API_KEY") or None,
            stripe_api_base=env.get("CSW_STRIPE_API_BASE") or None,
            stripe_account_key=env.get("CSW_STRIPE_ACCOUNT_KEY") or "account_id",
            stripe_plan_key=env.get("CSW_STRIPE_PLAN_KEY") or "plan",
        )

    def to_env(self) -> dict[str, str]:
        """The variables that rebuild these settings (`Settings.from_env(s.to_env()) == s`)."""
        names = {
            "data_dir": "CSW_DATA_DIR",
            "landing_dir": "CSW_LANDING_DIR",
            "quarantine_dir": "CSW_QUARANTINE_DIR",
            "warehouse_path": "CSW_WAREHOUSE_PATH",
            "publish_dir": "CSW_PUBLISH_DIR",
            "publish_keep": "CSW_PUBLISH_KEEP",
            "dbt_project_dir": "CSW_DBT_PROJECT_DIR",
            "dbt_threads": "CSW_DBT_THREADS",
            "duckdb_memory_limit": "CSW_DUCKDB_MEMORY_LIMIT",
            "as_of": "CSW_AS_OF",
            "alert_webhook_url": "CSW_ALERT_WEBHOOK_URL",
            "log_level": "CSW_LOG_LEVEL",
            "dagster_home": "DAGSTER_HOME",
            "engine": "CSW_ENGINE",
            "pg_url": "CSW_PG_URL",
            "pg_bindings_path": "CSW_PG_BINDINGS",
            "pg_batch_rows": "CSW_PG_BATCH_ROWS",
            "pg_overlap_minutes": "CSW_PG_OVERLAP_MINUTES",
            "lake_dir": "CSW_LAKE_DIR",
            "expectations_dir": "CSW_EXPECTATIONS_DIR",
            "spark_master": "CSW_SPARK_MASTER",
            "spark_driver_memory": "CSW_SPARK_DRIVER_MEMORY",
            "spark_host": "CSW_SPARK_HOST",
            "spark_port": "CSW_SPARK_PORT",
            "spark_file_format": "CSW_SPARK_FILE_FORMAT",
            "stripe_api_key": "CSW_STRIPE_API_KEY",
            "stripe_api_base": "CSW_STRIPE_API_BASE",
            "stripe_account_key": "CSW_STRIPE_ACCOUNT_KEY",
            "stripe_plan_key": "CSW_STRIPE_PLAN_KEY",
        }
        assert set(names) == {f.name for f in fields(self)}, "every setting has its variable"
        values = {name: getattr(self, name) for name in names}
        return {names[k]: str(v) for k, v in values.items() if v is not None}

    @property
    def quality_dir(self) -> Path:
        """Where each run's data-quality report goes: `<quality_dir>/<run_id>/`."""
        return self.data_dir / "quality"

    @property
    def children_dir(self) -> Path:
        """Where a run's child processes register (lib/children.py), so that the next run ends leftovers."""
        return self.data_dir / "run" / "children"

    @property
    def project_folders(self) -> list[Path]:
        """What a build's result depends on besides the data: the dbt project, the expectation suites and the
        pipeline's code (lib/inputs.py)."""
        return [self.dbt_project_dir, self.expectations_dir, REPO_ROOT / "dagster_project"]

    @property
    def manifest_path(self) -> Path:
        return self.dbt_project_dir / "target" / "manifest.json"

    def duckdb_config(self) -> dict[str, str]:
        """For every DuckDB connection we open. DuckDB's default memory limit, 80% of RAM, let one
        run's process tree reach 8 GiB at 5,000 accounts; with a limit DuckDB spills to disk instead."""
        return {"memory_limit": self.duckdb_memory_limit}

    @property
    def dbt_target(self) -> str:
        """The output of dbt/profiles.yml that builds this engine's models."""
        if self.engine == "spark":
            return "spark_thrift" if self.spark_host else "spark"
        return "duckdb"

    @property
    def dbt_adapter_type(self) -> str:
        return "spark" if self.engine == "spark" else "duckdb"

    def dbt_env(self) -> dict[str, str]:
        """What dbt's `profiles.yml` reads: the environment of every dbt process we start."""
        env = {
            # absolute: dbt runs in the dbt project's folder, and `csw-dbt` registers itself under the data
            # folder (children_dir) before dbt starts
            "CSW_DATA_DIR": str(self.data_dir),
            "CSW_DBT_TARGET": self.dbt_target,
            "CSW_WAREHOUSE_PATH": str(self.warehouse_path),
            "CSW_DBT_THREADS": str(self.dbt_threads),
            "CSW_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }
        if self.engine == "spark":
            env |= {
                "CSW_LAKE_DIR": str(self.lake_dir),
                "CSW_SPARK_MASTER": self.spark_master,
                "CSW_SPARK_DRIVER_MEMORY": self.spark_driver_memory,
                "CSW_SPARK_HOST": self.spark_host or "",
                "CSW_SPARK_PORT": str(self.spark_port),
                "CSW_SPARK_FILE_FORMAT": self.spark_file_format,
            }
        return env
