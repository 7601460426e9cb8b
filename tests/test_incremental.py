"""Incremental runs: after a day of new data, every mart equals what a full refresh builds."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.generator import GeneratorOptions, generate
from dagster_project.lib.publish import current_log
from dagster_project.lib.settings import REPO_ROOT
from tests.helpers import PIPELINE_OPTIONS, pipeline_env, run_csw, run_log
from tests.test_publish_resilience import published_run_ids


def mart_tables(conn: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = 'marts' order by 1", [db]
        ).fetchall()
    ]


LATE = "2026-11-17"  # the day the late changes land
LATE_AT = "2026-11-17T09:00:00Z"
AMENDED_FROM = "2026-08-10T00:00:00Z"  # the backdated amendment takes effect three months before the run


def _late_csv(landing: Path, table: str, pick, change: dict[str, str], more_seats: int = 0) -> dict[str, str]:
    """The latest version of a record of `table` that `pick` accepts, sent again today with `change`."""
    latest: dict[str, dict[str, str]] = {}
    for source in sorted((landing / table).glob("*/*.csv")):
        with source.open(newline="") as f:
            for row in csv.DictReader(f):
                key = next(iter(row.values()))  # the first column is the record's key
                if key not in latest or row["updated_at"] >= latest[key]["updated_at"]:
                    latest[key] = row
    row = next((r for r in latest.values() if pick(r)), None)
    assert row, f"no record of {table} to change"
    row = {**row, **change}
    if more_seats:
        row["quantity"] = str(int(row["quantity"]) + more_seats)
    out = landing / table / LATE / "late-0000.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    return row


def land_late_event(landing: Path, day: str) -> str:
    """A login from May 2026 never sent before, landing months late (a tracker's retry queue flushed):
    far older than the events' look-back, so only the batch's own dates can restate its week."""
    old = landing / "product/events/2026-06-01/part-0000.parquet"
    out = landing / "product/events" / day / "late-0000.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    duckdb.execute(
        f"copy (select * replace ('EVT-LATE-00000001' as event_id) from read_parquet('{old}') "
        f"where event_name = 'login' order by event_id limit 1) to '{out}' (format parquet)"
    )
    return "EVT-LATE-00000001"


def land_late_changes(landing: Path) -> dict[str, str]:
    """Changes to old records inside the look-back window, and a copy of an event sent months ago."""
    # a ticket opened three weeks ago, solved late with a poor score
    tickets = [
        json.loads(line)
        for line in (landing / "support/tickets/2026-11-01/part-0000.jsonl").read_text().splitlines()
        if line
    ]
    ticket = next(t for t in tickets if t["created_at"][:10] >= "2026-10-25" and t["status"] != "solved")
    ticket = {**ticket, "status": "solved", "solved_at": "2026-11-03T10:00:00Z", "csat_score": 1, "updated_at": LATE_AT}
    out = landing / "support/tickets" / LATE / "late-0000.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(ticket) + "\n")
    # an invoice issued a month ago, paid late (it was open)
    invoice = _late_csv(
        landing,
        "billing/invoices",
        lambda r: r["status"] == "open" and "2026-10-15" <= r["issued_at"][:10] <= "2026-10-31",
        {"status": "paid", "paid_at": "2026-11-12T08:00:00Z", "updated_at": LATE_AT},
    )
    # a champion who left two weeks ago, recorded only today
    contact = _late_csv(
        landing,
        "crm/contacts",
        lambda r: r["role"] == "champion" and r["is_active"] == "true" and r["updated_at"][:10] < "2026-11-01",
        {"is_active": "false", "updated_at": "2026-11-03T12:00:00Z"},
    )
    # an NPS response given three weeks ago, exported late
    nps = _late_csv(
        landing,
        "surveys/nps_responses",
        lambda r: True,
        {"response_id": "NPS-LATE-00001", "score": "2", "responded_at": "2026-10-28T12:00:00Z", "updated_at": LATE_AT},
    )
    # a seat increase recorded today, taking effect three months back (August to October closed when the day
    # before was published): a backdated amendment that restates those months' MRR (issue 26) and the weeks
    # since in the weekly chain
    subscription = _late_csv(
        landing,
        "billing/subscriptions",
        lambda r: (
            r["status"] == "active" and r["billing_interval"] == "month" and r["effective_at"][:10] < "2026-08-01"
        ),
        {"effective_at": AMENDED_FROM, "updated_at": LATE_AT},
        more_seats=5,
    )
    # the same event as one sent in March 2025, sent again
    events = landing / "product/events" / LATE
    events.mkdir(parents=True, exist_ok=True)
    old = landing / "product/events/2025-03-01/part-0000.parquet"
    duckdb.execute(
        f"copy (select * from read_parquet('{old}') limit 1) to '{events / 'late-0000.parquet'}' (format parquet)"
    )
    event_id = duckdb.execute(f"select event_id from read_parquet('{events / 'late-0000.parquet'}')").fetchone()[0]
    return {
        "ticket": ticket["ticket_id"],
        "invoice": invoice["invoice_id"],
        "contact": contact["contact_id"],
        "nps": nps["response_id"],
        "event": event_id,
        "subscription": subscription["subscription_id"],
    }


MANIFEST = REPO_ROOT / "dbt" / "target" / "manifest.json"
# what dbt logs for each seed it loads (a build whose project is its publication's loads none: lib/inputs.seeds_current)
SEED_LOADED = "START seed file seeds."


def test_incremental_run_equals_full_refresh(workspace: Path, tmp_path: Path) -> None:
    """Two days of new data (the first with an event sent half a year late), plus late changes to tickets,
    invoices, contacts and NPS inside the look-back window, a subscription amended three months back and a
    copy of an event from months ago; the same run again, which finds nothing new; then a day with no new
    loads: the incremental build equals a full refresh."""
    env = pipeline_env(workspace)
    # the next two days' extracts, on top of the published sample, each run on its day: the second
    # run's scoped checks then start from the first one's publication, which the sample's rows (the
    # old event's first copy among them) predate
    for day in (16, 17):
        generate(
            workspace / "landing",
            GeneratorOptions(
                accounts=PIPELINE_OPTIONS.accounts,
                months=PIPELINE_OPTIONS.months,
                seed=PIPELINE_OPTIONS.seed,
                as_of=date(2026, 11, day + 1),
                since=date(2026, 11, day),
            ),
        )
        if day == 16:
            land_late_event(workspace / "landing", "2026-11-16")
            first = run_csw(["run", "--as-of", "2026-11-17"], env)
            assert first.returncode == 0, first.stdout[-4000:]
    late = land_late_changes(workspace / "landing")
    incremental = run_csw(["run", "--as-of", "2026-11-18"], env)
    assert incremental.returncode == 0, incremental.stdout[-4000:]
    assert "is_incremental" not in incremental.stdout
    # the project is the publication's: the seeds and their tests were left out, and the equality below covers it
    assert SEED_LOADED not in run_log(incremental.stdout)
    assert "unchanged, not built or tested again: the seeds" in incremental.stdout, incremental.stdout[-4000:]
    # August to October closed before the previous publication (as of 2026-11-17): their MRR changed, and each
    # change is listed with the load that caused it, a backdated amendment
    published = duckdb.connect(str(workspace / "published" / "marts.duckdb"), read_only=True)
    rows = published.execute(
        "select month, change, cause_kinds, cause_loads, causes, reported_as_of from metric_restatements "
        "where metric = 'mrr' and segment_type = 'all' and month >= date '2026-08-01' order by month"
    ).fetchall()
    published.close()
    assert [r[0] for r in rows] == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)], rows
    for _, change, kinds, loads, causes, reported_as_of in rows:
        assert change > 0 and reported_as_of == date(2026, 11, 17), rows
        assert kinds == "backdated_amendment" and len(json.loads(loads)) == 1, rows
        assert f"billing/subscriptions/{LATE}/late-0000.csv" in causes, causes
    assert "Restated since the last publication" in incremental.stdout

    # the same run again: nothing new to read, so no extract, check or dbt work and nothing published
    runs = published_run_ids(workspace)
    version = current_log(workspace / "published")[-1]["version_id"]
    warehouse_mtime = (workspace / "warehouse.duckdb").stat().st_mtime_ns
    again = run_csw(["run", "--as-of", "2026-11-18"], env)
    assert again.returncode == 0, again.stdout[-4000:]
    assert f"Nothing new since version {version}" in again.stdout, again.stdout[-4000:]
    assert "dbt build" not in again.stdout and "Published in" not in again.stdout
    assert published_run_ids(workspace) == runs
    assert (workspace / "warehouse.duckdb").stat().st_mtime_ns == warehouse_mtime, "the build file was written"

    # a day with no new loads: the as-of date moves (the new day's weeks, alerts, staleness), nothing is read
    quiet = run_csw(["run", "--as-of", "2026-11-19"], env)
    assert quiet.returncode == 0, quiet.stdout[-4000:]
    assert "0 new file(s), 0 rows" in quiet.stdout and "Published in" in quiet.stdout, quiet.stdout[-4000:]
    # no staging model has anything new to read: every one is left out (and the equality below covers it)
    staging = [n for n in json.loads(MANIFEST.read_text())["nodes"].values() if n["fqn"][1:2] == ["staging"]]
    staging_models = sum(n["resource_type"] == "model" for n in staging)
    assert f"the seeds, {staging_models} staging model(s)" in quiet.stdout, quiet.stdout[-4000:]
    snapshot = tmp_path / "incremental.duckdb"
    shutil.copy(workspace / "warehouse.duckdb", snapshot)

    full = run_csw(["run", "--as-of", "2026-11-19", "--full-refresh"], env)
    assert full.returncode == 0, full.stdout[-4000:]
    assert SEED_LOADED in run_log(full.stdout)

    conn = duckdb.connect()
    conn.execute(f"attach '{snapshot}' as inc (read_only)")
    conn.execute(f"attach '{workspace / 'warehouse.duckdb'}' as full_refresh (read_only)")
    marts = mart_tables(conn, "full_refresh")
    assert len(marts) >= 9 and marts == mart_tables(conn, "inc")
    for mart in marts + [
        "intermediate.int_account_health_scored",
        "intermediate.int_account_weekly_activity",
        "intermediate.int_account_weekly_seen",
        "intermediate.int_account_weekly_usage",
        "staging.stg_product__events",
    ]:
        name = mart if "." in mart else f"marts.{mart}"
        cols = "*" if "stg_product__events" not in name else "* exclude (loaded_at)"
        a = conn.execute(
            f"select count(*) from (select {cols} from inc.{name} except all select {cols} from full_refresh.{name})"
        ).fetchone()[0]
        b = conn.execute(
            f"select count(*) from (select {cols} from full_refresh.{name} except all select {cols} from inc.{name})"
        ).fetchone()[0]
        n = conn.execute(f"select count(*) from full_refresh.{name}").fetchone()[0]
        assert (a, b) == (0, 0), (
            f"{name}: {a} rows only in the incremental build, {b} only in the full refresh (of {n})"
        )
        assert n > 0
    new_weeks = conn.execute(
        "select count(*) from inc.marts.account_health_weekly where week_start = date '2026-11-16'"
    ).fetchone()[0]
    assert new_weeks > 0, "the incremental run added the new week"
    # the late changes reached the incremental build (so the comparison above covered them)
    checks = {
        "ticket": "select csat_score from inc.staging.stg_support__tickets where ticket_id = ?",
        "invoice": "select invoice_status from inc.staging.stg_billing__invoices where invoice_id = ?",
        "contact": "select is_active from inc.staging.stg_crm__contacts where contact_id = ?",
        "nps": "select nps_score from inc.staging.stg_surveys__nps_responses where response_id = ?",
        "event": "select count(*) from inc.staging.stg_product__events where event_id = ?",
    }
    got = {k: conn.execute(q, [late[k]]).fetchone()[0] for k, q in checks.items()}
    assert got == {"ticket": 1, "invoice": "paid", "contact": False, "nps": 2, "event": 1}, got
