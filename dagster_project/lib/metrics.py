"""Metrics by name: MetricFlow's semantic layer (dbt/models/semantic/_models.yml) over the published marts.

MetricFlow plans each query from the semantic manifest dbt writes (`target/semantic_manifest.json`) and
renders DuckDB SQL against the relations dbt built ("warehouse"."marts"."nrr_monthly"). Here that SQL
runs on an in-memory DuckDB in which those names are views over the **published** file, attached read-only:
BI, scripts and `csw metrics query` read exactly the version the dashboard shows, and the build file is
never opened (a run may hold it).

Plain Python: no Dagster imports; paths are passed in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.extract import sql_literal

# The time spine MetricFlow needs declared; the published marts do not carry it, so it is made here.
TIME_SPINE = "metricflow_time_spine"
# `--group-by month` for `metric_time__month`, and so on.
TIME_ALIASES = {g: f"metric_time__{g}" for g in ("day", "week", "month", "quarter", "year")}


class MetricsError(ValueError):
    """A query MetricFlow cannot answer, or a semantic layer that is not there: the message says what to do."""


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    description: str
    dimensions: tuple[str, ...]


def semantic_manifest_text(dbt_project_dir: Path) -> str:
    """The semantic manifest dbt wrote when it parsed the project (dbt/target/semantic_manifest.json)."""
    path = dbt_project_dir / "target" / "semantic_manifest.json"
    if not path.exists():
        raise MetricsError(f"{path} does not exist: run `csw dbt parse` (or `make run`) first")
    return path.read_text()


def relations(manifest_text: str) -> dict[str, tuple[str, str, str]]:
    """Model name -> (database, schema, alias) of every semantic model and the time spine, as MetricFlow
    will name them in its SQL."""
    raw = json.loads(manifest_text)
    nodes = [m["node_relation"] for m in raw["semantic_models"]]
    nodes += [s["node_relation"] for s in raw.get("project_configuration", {}).get("time_spines", [])]
    return {n["alias"]: (n["database"], n["schema_name"], n["alias"]) for n in nodes}


def published_connection(published_db: Path, names: dict[str, tuple[str, str, str]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB where every relation the semantic layer names (`relations`) is a view over the
    published file."""
    if not published_db.exists():
        raise MetricsError(f"nothing is published at {published_db}: run `make run` (or `csw run`) first")
    conn = duckdb.connect(":memory:")
    conn.execute(f"attach {sql_literal(str(published_db))} as published (read_only)")
    published = {
        r[0]
        for r in conn.execute("select table_name from duckdb_tables() where database_name = 'published'").fetchall()
    }
    for database in sorted({database for database, _, _ in names.values()}):
        conn.execute(f"attach ':memory:' as \"{database}\"")
    for name, (database, schema, alias) in names.items():
        conn.execute(f'create schema if not exists "{database}"."{schema}"')
        if name == TIME_SPINE:
            conn.execute(
                f'create table "{database}"."{schema}"."{alias}" as '
                "select cast(range as date) as date_day from range(date '2015-01-01', date '2036-01-01', interval 1 day)"
            )
        elif name in published:
            conn.execute(f'create view "{database}"."{schema}"."{alias}" as select * from published.main."{name}"')
        else:
            raise MetricsError(
                f"the semantic layer reads {name}, which {published_db} does not hold: "
                "publish a version built from this checkout (`csw run`)"
            )
    return conn


class PublishedSqlClient:
    """MetricFlow's SqlClient protocol on the in-memory connection above."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self._conn = conn

    @property
    def sql_engine_type(self) -> Any:
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self) -> Any:
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        return DuckDbSqlPlanRenderer()

    def query(self, stmt: str, sql_bind_parameter_set: Any = None) -> Any:
        from metricflow.data_table.mf_table import MetricFlowDataTable

        cursor = self._conn.execute(stmt, _params(sql_bind_parameter_set))
        columns = [d[0] for d in cursor.description]
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self._conn.execute(stmt, _params(sql_bind_parameter_set))

    def dry_run(self, stmt: str, sql_bind_parameter_set: Any = None) -> None:
        self._conn.execute(f"explain {stmt}", _params(sql_bind_parameter_set))

    def close(self) -> None:
        self._conn.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def _params(bind: Any) -> dict[str, Any] | None:
    if bind is None or not bind.param_dict:
        return None
    return {k: v.value for k, v in bind.param_dict.items()}


class SemanticLayer:
    """MetricFlow on the published marts: list the metrics, compile and run a query."""

    def __init__(self, published_db: Path, dbt_project_dir: Path) -> None:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        text = semantic_manifest_text(dbt_project_dir)
        self.relations = relations(text)
        self.manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=text)
        self.conn = published_connection(published_db, self.relations)
        self.client = PublishedSqlClient(self.conn)
        self.engine = MetricFlowEngine(SemanticManifestLookup(self.manifest), self.client)

    def validate(self) -> list[str]:
        """`mf validate-configs` on the published marts: MetricFlow's semantic checks of the definitions, then
        its warehouse checks (every semantic model, dimension, entity and metric queried). The errors, if any."""
        from metricflow.validation.data_warehouse_model_validator import DataWarehouseModelValidator
        from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator

        results = [SemanticManifestValidator().validate_semantic_manifest(self.manifest)]
        if not results[0].has_blocking_issues:
            warehouse = DataWarehouseModelValidator(sql_client=self.client)
            for check in (
                warehouse.validate_semantic_models,
                warehouse.validate_dimensions,
                warehouse.validate_entities,
                warehouse.validate_simple_metrics,
                warehouse.validate_metrics,
            ):
                results.append(check(self.manifest))
        return [issue.as_readable_str() for r in results for issue in r.errors]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SemanticLayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def metrics(self) -> list[MetricInfo]:
        return sorted(
            (
                MetricInfo(
                    name=m.name,
                    label=m.label or m.name,
                    description=" ".join((m.description or "").split()),
                    dimensions=tuple(sorted(d.dunder_name for d in m.dimensions)),
                )
                for m in self.engine.list_metrics()
            ),
            key=lambda m: m.name,
        )

    def sql(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> str:
        """The SQL MetricFlow writes for the query (on the names dbt built; run with `query`)."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=[TIME_ALIASES.get(g, g) for g in group_by] or None,
            where_constraints=list(where) or None,
            order_by_names=[_order(o) for o in order_by] or None,
            limit=limit,
        )
        try:
            return self.engine.explain(request).sql_statement.sql
        except Exception as e:  # MetricFlow raises many types; each message names the unknown item
            raise MetricsError(" ".join(str(e).split())[:2000]) from e

    def published_sql(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> str:
        """The same SQL on the published file's own table names: a BI tool's custom SQL (or a view) on
        data/published/marts.duckdb gives exactly what `query` gives."""
        text = self.sql(metrics, group_by, where, order_by, limit)
        for database, schema, alias in self.relations.values():
            text = text.replace(f'"{database}"."{schema}"."{alias}"', f'"{alias}"')
        return text

    def query(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> tuple[list[str], list[tuple]]:
        """Column names and rows, values as DuckDB returns them (amounts as decimals)."""
        cursor = self.conn.execute(self.sql(metrics, group_by, where, order_by, limit))
        return [d[0] for d in cursor.description], cursor.fetchall()


def _order(name: str) -> str:
    desc = name.startswith("-")
    bare = name.removeprefix("-")
    return ("-" if desc else "") + TIME_ALIASES.get(bare, bare)
