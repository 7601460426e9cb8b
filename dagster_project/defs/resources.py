"""The warehouse resource: every setting (`dagster_project/lib/settings.py`), for every asset, check and hook."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, Definitions, EnvVar, get_dagster_logger

from dagster_project.lib.children import end_leftovers
from dagster_project.lib.settings import Settings

WEBHOOK_ENV = "CSW_ALERT_WEBHOOK_URL"
STRIPE_KEY_ENV = "CSW_STRIPE_API_KEY"


@cache
def load_settings() -> Settings:
    """The settings of this process, built once from the environment when the definitions load."""
    return Settings.from_env()


@cache
def _end_leftovers_once(children_dir: Path) -> None:
    """A run launched from the UI or the daemon does not pass through `csw run`'s start: a dbt or GX process
    left by a killed run (which could hold the build file's lock) is ended at the first connection of each
    process; leftovers are an earlier run's, so once is enough."""
    for leftover in end_leftovers(children_dir):
        get_dagster_logger().warning(str(leftover))


class WarehouseResource(ConfigurableResource):
    """Every setting, as the variables that build it (shown in the UI); the secrets (the webhook URL, the
    Stripe key) by reference to their variable, so that their values never reach the UI or the run storage."""

    environment: dict[str, str]
    alert_webhook_url: str | None = None
    stripe_api_key: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        environment = settings.to_env()
        webhook = environment.pop(WEBHOOK_ENV, None)
        stripe_key = environment.pop(STRIPE_KEY_ENV, None)
        return cls(
            environment=environment,
            alert_webhook_url=EnvVar(WEBHOOK_ENV) if webhook else None,
            stripe_api_key=EnvVar(STRIPE_KEY_ENV) if stripe_key else None,
        )

    @property
    def settings(self) -> Settings:
        secrets = {WEBHOOK_ENV: self.alert_webhook_url, STRIPE_KEY_ENV: self.stripe_api_key}
        return Settings.from_env({**self.environment, **{k: v for k, v in secrets.items() if v}})

    @property
    def path(self) -> Path:
        return self.settings.warehouse_path

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open, use, close: never hold the file longer than one step needs it."""
        settings = self.settings
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        _end_leftovers_once(settings.children_dir)
        conn = duckdb.connect(str(settings.warehouse_path), read_only=read_only, config=settings.duckdb_config())
        try:
            yield conn
        finally:
            conn.close()


defs = Definitions(resources={"warehouse": WarehouseResource.from_settings(load_settings())})
