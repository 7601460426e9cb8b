"""All Dagster definitions of the warehouse, in one place (`workspace.yaml` points here)."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from dagster_project.assets.dbt import dbt_resource, warehouse_dbt_assets
from dagster_project.assets.extract import extract_assets
from dagster_project.assets.publish import published_marts
from dagster_project.checks.quality import mart_quality_checks, raw_quality_checks
from dagster_project.resources import WarehouseResource
from dagster_project.schedules import daily_schedule
from dagster_project.sensors import landing_sensor, report_step_failure, run_failure_report

warehouse_job = define_asset_job(
    "warehouse_job",
    selection=AssetSelection.all(),
    description="Extract every source, build and test the dbt project, publish the marts.",
    hooks={report_step_failure},
)

defs = Definitions(
    assets=[*extract_assets, warehouse_dbt_assets, published_marts],
    asset_checks=[raw_quality_checks, mart_quality_checks],
    jobs=[warehouse_job],
    schedules=[daily_schedule],
    sensors=[landing_sensor, run_failure_report],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
