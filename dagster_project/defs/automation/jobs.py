"""The one job: extract every source, build and test the dbt project, publish the marts."""

from dagster import AssetSelection, define_asset_job

from dagster_project.defs.automation.sensors import report_step_failure

warehouse_job = define_asset_job(
    "warehouse_job",
    selection=AssetSelection.all(),
    description="Extract every source, build and test the dbt project, publish the marts.",
    hooks={report_step_failure},
)
