"""One extract asset per source table: landing files (or a bound PostgreSQL table) -> raw.<source>__<table>."""

from datetime import timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Backoff,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from dagster_project.contract import TABLES, Table
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.extract import MAX_ISSUES_REPORTED, load_table
from dagster_project.lib.loads import CONTRACT_CHECK, blocking_message, rejected_loads
from dagster_project.lib.postgres import load_bindings, load_postgres_table, redact
from dagster_project.lib.settings import Settings
from dagster_project.lib.sources.stripe import StripeConfig, iter_tables, sync_stripe_table

# Transient failures (the file briefly locked, a share hiccup) are retried; data
# problems never raise, they are quarantined and reported by the check below.
EXTRACT_RETRY = RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)
QUARANTINE_CHECK = CONTRACT_CHECK
# the billing tables a Stripe key (CSW_STRIPE_API_KEY) reads from Stripe instead of the landing folder
STRIPE_TABLES = {t.raw_name for t in iter_tables(TABLES)}
# a Stripe customer without the metadata key is matched by the CRM account holding its id, as loaded when the
# billing table is read. No asset dependency orders the two: a dependency on an asset with blocking checks
# makes Dagster wait for the raw gate's checks, which wait for every extract (a cycle, tried)
CRM_ACCOUNTS = next(t for t in TABLES if t.source == "crm" and t.name == "accounts")


def stripe_config(settings: Settings) -> StripeConfig:
    return StripeConfig(
        settings.stripe_api_key or "", settings.stripe_api_base, settings.stripe_account_key, settings.stripe_plan_key
    )


def raw_asset_key(table: Table) -> AssetKey:
    return AssetKey(["raw", table.raw_name])


def build_extract_asset(table: Table) -> AssetsDefinition:
    key = raw_asset_key(table)

    @asset(
        key=key,
        group_name="extract",
        kinds={"duckdb", "python"},
        pool="duckdb",
        retry_policy=EXTRACT_RETRY,
        description=f"{table.description} Loaded from landing/{table.source}/{table.name}/<extract_date>/ "
        "and from vendor exports whose profile fills it (landing/<vendor>/<object>/<extract_date>/), "
        "or from PostgreSQL when bound (postgres_bindings.yml, CSW_PG_URL)"
        + (", or from Stripe's API when CSW_STRIPE_API_KEY is set." if table.raw_name in STRIPE_TABLES else "."),
        check_specs=[
            AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                blocking=True,
                description="No load of this table is rejected for input that broke the contract (quarantined rows "
                "or a quarantined file), in this run or an earlier one still awaiting a decision (`csw loads`).",
            )
        ],
        metadata={"contract_columns": ", ".join(table.column_names)},
    )
    def _extract(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        settings = warehouse.settings
        binding = load_bindings(settings.pg_bindings_path).get(table.raw_name) if settings.pg_url else None
        from_stripe = bool(settings.stripe_api_key) and table.raw_name in STRIPE_TABLES
        with warehouse.connect() as conn:
            if from_stripe:
                config = stripe_config(settings)
                context.log.info(f"{table.raw_name}: reading {config.label}")
                result = sync_stripe_table(
                    conn,
                    table,
                    config,
                    settings.data_dir / "stripe",
                    settings.quarantine_dir,
                    run_id=context.run_id,
                    progress=context.log.info,
                    crm_accounts=CRM_ACCOUNTS,
                )
            elif binding is not None:
                context.log.info(f"{table.raw_name}: reading {binding.label} on {redact(settings.pg_url or '')}")
                result = load_postgres_table(
                    conn,
                    binding,
                    settings.pg_url or "",
                    settings.data_dir / "postgres",
                    settings.quarantine_dir,
                    settings.pg_batch_rows,
                    timedelta(minutes=settings.pg_overlap_minutes),
                    run_id=context.run_id,
                )
            else:
                result = load_table(conn, table, settings.landing_dir, settings.quarantine_dir, run_id=context.run_id)
            total = conn.execute(f"select count(*) from raw.{table.raw_name}").fetchone()[0]
            # the verdicts stick: a load rejected by an earlier run fails this check until someone decides
            rejected = rejected_loads(conn, table.raw_name, QUARANTINE_CHECK)
        for load in result.retired:
            context.log.warning(f"{load.label}: rejected earlier, its file is gone from the landing folder: retired")
        for issue in result.issues[:MAX_ISSUES_REPORTED]:
            context.log.warning(str(issue))
        if len(result.issues) > MAX_ISSUES_REPORTED:
            context.log.warning(f"... and {len(result.issues) - MAX_ISSUES_REPORTED} more; see raw._quarantine_rows")
        context.log.info(
            f"{table.raw_name}: {result.files_loaded} new file(s), {result.rows_loaded} row(s) loaded, "
            f"{result.files_skipped} file(s) already loaded, {result.rows_quarantined} row(s) and "
            f"{result.files_quarantined} file(s) quarantined"
            + (
                f"; {result.rows_skipped} vendor record(s) read past (a profile's skip_without)"
                if result.rows_skipped
                else ""
            )
        )
        sample = "\n".join(f"- {i}" for i in result.issues[:MAX_ISSUES_REPORTED])
        return MaterializeResult(
            metadata={
                "dagster/row_count": total,
                "rows_loaded": result.rows_loaded,
                "files_loaded": result.files_loaded,
                "files_skipped": result.files_skipped,
                "rows_quarantined": result.rows_quarantined,
                "files_quarantined": result.files_quarantined,
                "rows_skipped": result.rows_skipped,
            },
            check_results=[
                AssetCheckResult(
                    check_name=QUARANTINE_CHECK,
                    passed=not rejected,
                    severity=AssetCheckSeverity.ERROR,
                    metadata={
                        "rows_quarantined": result.rows_quarantined,
                        "files_quarantined": result.files_quarantined,
                        "rejected_loads": MetadataValue.json([load.load_id for load in rejected]),
                        "problems": MetadataValue.md(sample or "none"),
                    },
                    description=blocking_message(rejected, QUARANTINE_CHECK) if rejected else None,
                )
            ],
        )

    return _extract


extract_assets = [build_extract_asset(t) for t in TABLES]
