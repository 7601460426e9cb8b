"""The business summary that ends a successful run, read from the published marts.

Plain Python: no Dagster imports; the caller passes the published file and the as-of date.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from dagster_project.lib.restatements import largest


def _money(value: float | None) -> str:
    if value is None:
        return "-"
    value = float(value)
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"${value / size:,.1f}{unit}"
    return f"${value:,.0f}"


def _figure(metric: str, value: object) -> str:
    if value is None:
        return "-"
    return f"${float(value):,.2f}" if metric.endswith("mrr") else _pct(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def business_summary(published: Path, as_of: date) -> list[str]:
    """A few lines a CS leader reads first: revenue, retention, health, renewals, new alerts, checks."""
    conn = duckdb.connect(str(published), read_only=True)
    try:

        def one(sql: str, params: list | None = None) -> tuple:
            return conn.execute(sql, params or []).fetchone() or ()

        month = as_of.replace(day=1)
        mrr = one(
            "select ending_mrr, active_accounts from mrr_summary_monthly where service_tier = 'all' and month = ?",
            [month],
        )
        # NRR and GRR of the last complete month (trailing twelve months)
        nrr = one(
            "select month, nrr, grr, is_low_base, nrr_excl_top_account, base_accounts from nrr_monthly "
            "where segment_type = 'all' and segment = 'all' "
            "and month < ? order by month desc limit 1",
            [month],
        )
        bands = dict(
            conn.execute(
                "select health_band, count(*) from dim_accounts where is_active group by health_band"
            ).fetchall()
        )
        # contract renewals only: a monthly plan "renews" every month (renewal_pipeline.renewal_kind); monthly
        # subscriptions count as their own figure, those at risk (red, or with an open churn-risk alert)
        renewals = one(
            "select count(case when is_contract_renewal then 1 end), sum(case when is_contract_renewal then arr end), "
            "count(distinct case when not is_contract_renewal and (health_band = 'red' or open_alerts > 0) "
            "then account_id end), "
            "sum(case when not is_contract_renewal and (health_band = 'red' or open_alerts > 0) then arr end) "
            "from renewal_pipeline where renewal_window = 30"
        )
        tables = {r[0] for r in conn.execute("select table_name from duckdb_tables()").fetchall()}
        forecast = (
            one(
                "select renewing_arr, expected_renewed_arr, renewed_arr_low, renewed_arr_high from renewal_forecast "
                "where horizon_days = 90 and segment_type = 'renewal_kind' and segment = 'contract'"
            )
            if "renewal_forecast" in tables
            else None
        )
        week = as_of - timedelta(days=as_of.weekday())
        alerts = one(
            "select count(*), count(distinct account_id) from churn_risk_alerts "
            "where signal_type = 'churn_risk' and week_start = ? and not is_held_back",
            [week],
        )
        tasks = one(
            "select count(case when owner_role <> 'automation' then 1 end), "
            "count(case when owner_role <> 'automation' and priority = 1 then 1 end), "
            "count(distinct case when owner_role = 'automation' then account_id end) "
            "from cs_tasks where status = 'open'"
        )
        checks = one("select checks_passed, checks_run from _publish_log order by published_at desc limit 1")
        version = one("select version_id from _publish_log order by published_at desc limit 1")
        restated = (
            conn.execute(
                "select count(*) from metric_restatements where restated_version = ?", [version[0]]
            ).fetchone()[0]
            if "metric_restatements" in tables and version
            else 0
        )
        top = largest(conn, version[0]) if restated else None
        freshness = (
            conn.execute(
                "select source_name || '.' || table_name, freshness_status, record_lag_hours, warn_after_hours, "
                "error_after_hours, newest_record_at from _freshness where freshness_status in ('warn', 'error') "
                "order by freshness_status, source_table"
            ).fetchall()
            if "_freshness" in tables
            else None
        )
        held = (
            one(
                "select (select count(*) from churn_risk_alerts where is_held_back and week_start = ?), "
                "(select count(*) from cs_tasks where status = 'held_back')",
                [week],
            )
            if freshness
            else None
        )
    finally:
        conn.close()
    ending, accounts = mrr if mrr else (None, 0)
    lines = [
        f"As of {as_of}: ARR {_money(float(ending) * 12 if ending is not None else None)}, "
        f"MRR {_money(ending)}, {accounts or 0:,} paying accounts",
    ]
    if nrr:
        lines.append(
            f"Retention (trailing 12 months to {nrr[0]:%b %Y}): NRR {_pct(nrr[1])}, GRR {_pct(nrr[2])}"
            + (f" (low base: NRR {_pct(nrr[4])} without its largest mover; {nrr[5]:,} base accounts)" if nrr[3] else "")
        )
    lines.append(
        "Health: "
        + ", ".join(f"{bands.get(b, 0):,} {b}" for b in ("green", "yellow", "red"))
        + (f", {bands[None]:,} unscored" if bands.get(None) else "")
    )
    lines.append(
        f"Renewals in the next 30 days: {renewals[0] or 0:,} contracts, {_money(renewals[1] or 0)} ARR; "
        f"monthly plans at risk (red or alerted): {renewals[2] or 0:,} accounts, {_money(renewals[3] or 0)} ARR"
    )
    if forecast and forecast[0] is not None:
        lines.append(
            f"Contract renewals in 90 days: ${float(forecast[0]) / 1000:,.0f}k ARR, "
            f"${float(forecast[1]) / 1000:,.0f}k expected to renew "
            f"(90% interval ${float(forecast[2]) / 1000:,.0f}k to ${float(forecast[3]) / 1000:,.0f}k)"
        )
    lines.append(f"New churn-risk alerts this week (from {week}): {alerts[0] or 0:,} on {alerts[1] or 0:,} accounts")
    if tasks:
        lines.append(
            f"Open tasks: {tasks[0] or 0:,} for CSMs and team leads ({tasks[1] or 0:,} priority 1); "
            f"automated campaigns reach {tasks[2] or 0:,} accounts"
        )
    if freshness:
        lines.append(
            "Freshness: "
            + "; ".join(
                f"{label} {'stale' if status == 'error' else 'late'} (newest record {newest:%Y-%m-%d %H:%M}, "
                f"{float(lag):,.0f} h before the as-of date; {'stale' if status == 'error' else 'warn'} after "
                f"{int(error if status == 'error' else warn)} h)"
                for label, status, lag, warn, error, newest in freshness
            )
            + (
                f"; held back: {held[0]:,} alert(s) this week, {held[1]:,} task(s) (see source_freshness)"
                if held and (held[0] or held[1])
                else ""
            )
        )
    elif freshness is not None:
        lines.append("Freshness: every source within its thresholds (source_freshness)")
    if top:
        lines.append(
            f"Restated since the last publication: {restated:,} closed-month figure(s); the largest, "
            f"{top['month']:%b %Y} {top['metric']} ({top['segment_type']} {top['segment']}) "
            f"{_figure(top['metric'], top['reported_value'])} -> {_figure(top['metric'], top['restated_value'])}"
            f" ({top['cause_kinds'].replace('_', ' ')}; metric_restatements)"
        )
    if checks:
        lines.append(f"Checks: {checks[0]:,} of {checks[1]:,} passed (the rest warn only)")
    return lines
