"""The sample-data generator: deterministic, and realistic in the ways the marts rely on."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.generator import GeneratorOptions, generate
from dagster_project.generator.simulate import CORE

SMALL = GeneratorOptions(accounts=25, months=8, seed=3, as_of=date(2026, 6, 10))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", SMALL)
    generate(tmp_path / "b", SMALL)
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert len(a) > 50
    assert a == b


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", SMALL)
    generate(tmp_path / "b", GeneratorOptions(accounts=25, months=8, seed=4, as_of=date(2026, 6, 10)))
    assert _digest(tmp_path / "a") != _digest(tmp_path / "b")


def test_command_line_help_and_run(tmp_path: Path) -> None:
    csw = str(Path(sys.executable).with_name("csw"))
    help_text = subprocess.run([csw, "generate", "--help"], capture_output=True, text=True, check=True).stdout
    for flag in ("--accounts", "--months", "--seed", "--as-of", "--out"):
        assert flag in help_text
    out = tmp_path / "landing"
    proc = subprocess.run(
        [csw, "generate", "--accounts", "5", "--months", "3", "--as-of", "2026-03-20", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "crm" / "accounts" / "2026-03-20" / "part-0000.csv").exists()
    bad = subprocess.run([csw, "generate", "--as-of", "20-03-2026", "--out", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(out, GeneratorOptions(accounts=160, months=24, seed=11, as_of=date(2026, 11, 15)))
    return out


@pytest.fixture(scope="module")
def db(landing: Path) -> duckdb.DuckDBPyConnection:
    """Views straight over the landing files (no pipeline involved)."""
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    for source, table, reader in [
        ("billing", "subscriptions", "read_csv"),
        ("billing", "invoices", "read_csv"),
        ("billing", "payments", "read_csv"),
        ("crm", "contacts", "read_csv"),
        ("crm", "accounts", "read_csv"),
        ("surveys", "nps_responses", "read_csv"),
        ("support", "tickets", "read_json"),
        ("product", "events", "read_parquet"),
    ]:
        ext = {"read_csv": "csv", "read_json": "jsonl", "read_parquet": "parquet"}[reader]
        extra = (
            ", union_by_name = true, filename = true"
            if reader != "read_json"
            else ", filename = true, format = 'newline_delimited'"
        )
        conn.execute(
            f"create view {source}_{table} as select * from {reader}('{landing}/{source}/{table}/*/*.{ext}'{extra})"
        )
    conn.execute("""
        create table churn as
        select account_id, min(cast(effective_at as timestamp)) as churned_at
        from billing_subscriptions where status = 'canceled' group by account_id""")
    conn.execute("""
        create table weekly_logins as
        select account_id, date_trunc('week', occurred_at) as week, count(*) as logins
        from product_events where event_name = 'login' group by all""")
    return conn


def test_fading_churners_logins_fall_and_tickets_rise_before_they_churn(db: duckdb.DuckDBPyConnection) -> None:
    """Churn that fades (DESIGN.md): logins halve in the last two weeks and tickets rise. Not every churner
    fades any more (issue 30: budget cuts, adoption plateaus, price rises), so a third to four fifths do."""
    rows = db.execute("""
        with rel as (
            select c.account_id,
                   datediff('week', c.churned_at, w.week) as wk,
                   w.logins
            from churn c join weekly_logins w using (account_id)
        ),
        per_account as (
            select account_id,
                   avg(logins) filter (where wk between -10 and -7) as before,
                   avg(logins) filter (where wk between -2 and -1) as late
            from rel group by account_id
        )
        select account_id, late < 0.5 * before from per_account where before > 0
    """).fetchall()
    fading = [a for a, fell in rows if fell]
    assert len(rows) >= 10
    assert 0.3 <= len(fading) / len(rows) <= 0.8, f"{len(fading)} of {len(rows)} churners' logins fell by half"

    tickets = db.execute(
        """
        with t as (
            select c.account_id, datediff('week', c.churned_at, cast(created_at as timestamp)) as wk
            from churn c join (select distinct ticket_id, account_id, created_at from support_tickets) using (account_id)
            where c.account_id in (select unnest(?))
        )
        select count(*) filter (where wk between -6 and -1) / 6.0, count(*) filter (where wk between -18 and -7) / 12.0
        from t
        """,
        [fading],
    ).fetchone()
    assert tickets[0] > 1.8 * tickets[1], f"tickets per week before churn {tickets[0]:.1f} vs earlier {tickets[1]:.1f}"


def test_churn_that_does_not_fade_and_its_look_alikes(db: duckdb.DuckDBPyConnection) -> None:
    """Issue 30's behaviours, read from the landing files: churners that cut their seats twice in the 200
    days before leaving, churners that met a price rise (followed by billing tickets), annual churners
    that left at their first renewal having used at most two core features; and accounts that keep paying
    after a seat cut or a price rise (the noise the early warnings must not mistake for churn)."""
    core = tuple(CORE)
    counts = db.execute(f"""
        with v as (
            select subscription_id, account_id, quantity, unit_amount, plan, status,
                   cast(effective_at as timestamp) as eff, cast(started_at as timestamp) as started,
                   lag(quantity) over w as pq, lag(unit_amount) over w as pu, lag(plan) over w as pp,
                   lag(status) over w as ps
            from (select distinct * exclude (filename, updated_at) from billing_subscriptions)
            window w as (partition by subscription_id order by effective_at)
        ),
        left_at as (select account_id, min(eff) as churned, min(started) as started from v where status = 'canceled' group by 1),
        cuts as (
            select v.account_id, count(*) as n from v join left_at using (account_id)
            where status = 'active' and ps = 'active' and quantity < pq
              and eff > churned - interval 200 day and eff < churned
            group by 1
        ),
        rises as (
            select account_id, eff from v
            where status = 'active' and ps = 'active' and plan = pp and quantity = pq and unit_amount > pu
        ),
        breadth as (
            select account_id, count(distinct event_name) filter (where event_name in {core}) as n
            from product_events group by 1
        )
        select
            (select count(*) from cuts where n >= 2),
            (select count(*) from rises join left_at using (account_id) where eff < churned),
            (select count(distinct r.account_id) from rises as r join support_tickets as t
                on t.account_id = r.account_id
               and cast(t.created_at as timestamp) between r.eff and r.eff + interval 91 day
               and regexp_matches(lower(t.subject), 'bill|invoice|price')),
            (select count(*) from left_at join breadth using (account_id)
              where abs(datediff('day', started + interval 365 day, churned)) <= 1 and breadth.n <= 2),
            (select count(distinct account_id) from rises where account_id not in (select account_id from left_at)),
            (select count(distinct account_id) from v
              where status = 'active' and ps = 'active' and quantity < pq
                and account_id not in (select account_id from left_at))
    """).fetchone()
    cut_twice, left_after_rise, billing_after_rise, narrow_at_renewal, rise_kept, cut_kept = counts
    assert cut_twice >= 2 and left_after_rise >= 2 and billing_after_rise >= 2 and narrow_at_renewal >= 2, counts
    assert rise_kept >= 2 and cut_kept >= 5, counts


def test_expanders_fill_their_seats_before_buying_more(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute("""
        with v as (
            select subscription_id, account_id, quantity, cast(effective_at as timestamp) as eff, status,
                   lag(quantity) over (partition by subscription_id order by effective_at) as prev_q,
                   lag(status) over (partition by subscription_id order by effective_at) as prev_status
            from (select distinct * exclude (filename, updated_at) from billing_subscriptions)
        ),
        expansions as (select account_id, eff, prev_q from v where status = 'active' and prev_status = 'active' and quantity > prev_q),
        used as (
            select x.account_id, x.prev_q,
                   count(distinct e.user_id) as users_28d
            from expansions x join product_events e
              on e.account_id = x.account_id and e.occurred_at >= x.eff - interval 28 day and e.occurred_at < x.eff
            group by all
        )
        select count(*), count(*) filter (where users_28d >= 0.8 * prev_q) from used
    """).fetchone()
    expansions, full = rows
    assert expansions >= 10
    assert full / expansions >= 0.8, f"only {full} of {expansions} expansions came after seats were >= 80% used"


def test_billing_has_the_shapes_the_revenue_marts_need(db: duckdb.DuckDBPyConnection) -> None:
    subs = db.execute("""
        select count(distinct billing_interval), count(distinct currency),
               count(*) filter (where status = 'canceled'),
               count(*) filter (where status = 'trialing'),
               count(*) filter (where day(cast(effective_at as timestamp)) not in (1)),
               count(distinct account_id) filter (where n_subs > 1)
        from (select *, count(distinct subscription_id) over (partition by account_id) as n_subs from billing_subscriptions)
    """).fetchone()
    intervals, currencies, cancels, trials, mid_month, reactivated = subs
    assert intervals == 2 and currencies == 3
    assert cancels > 0 and trials > 0 and mid_month > 0 and reactivated > 0
    seat_changes = db.execute("""
        select count(*) filter (where quantity > prev), count(*) filter (where quantity < prev)
        from (select quantity, lag(quantity) over (partition by subscription_id order by effective_at) as prev
              from billing_subscriptions where status = 'active')
    """).fetchone()
    assert seat_changes[0] > 0 and seat_changes[1] > 0, "upgrades and downgrades"
    late, failed = db.execute("""
        select (select count(*) from billing_invoices where paid_at is not null and cast(paid_at as timestamp) > cast(due_at as timestamp)),
               (select count(*) from billing_payments where status = 'failed')
    """).fetchone()
    assert late > 0 and failed > 0


def test_people_surveys_and_time_zones(db: duckdb.DuckDBPyConnection, landing: Path) -> None:
    left = db.execute(
        "select count(*) from crm_contacts where role in ('champion', 'executive_sponsor') and not is_active"
    ).fetchone()[0]
    assert left > 0, "champions and sponsors who leave"
    promoters, detractors = db.execute(
        "select count(*) filter (where score >= 9), count(*) filter (where score <= 6) from surveys_nps_responses"
    ).fetchone()
    assert promoters > 0 and detractors > 0
    text = (next((landing / "support" / "tickets").glob("*/*.jsonl"))).read_text()
    csv_text = (next((landing / "surveys" / "nps_responses").glob("*/*.csv"))).read_text()
    assert "-08:00" in text and "Z" in (next((landing / "crm" / "accounts").glob("*/*.csv"))).read_text()
    assert any(off in csv_text for off in ("+01:00", "-05:00", "+09:00", "-03:00"))


def test_realistic_mess(db: duckdb.DuckDBPyConnection) -> None:
    dupes = db.execute("""
        select count(*) from (select ticket_id, updated_at, count(*) n from support_tickets group by all having n > 1)
    """).fetchone()[0]
    updated = db.execute(
        "select count(*) from (select ticket_id from support_tickets group by 1 having count(distinct updated_at) > 1)"
    ).fetchone()[0]
    deleted = db.execute("select count(*) from support_tickets where is_deleted").fetchone()[0]
    late = db.execute("""
        select count(*) from billing_invoices
        where date_trunc('month', cast(updated_at as timestamp)) < cast(regexp_extract(filename, '(\\d{4}-\\d{2}-\\d{2})', 1) as date) - interval 1 month
    """).fetchone()[0]
    empty = db.execute("select count(*) from crm_accounts where industry is null").fetchone()[0]
    assert dupes > 0, "duplicate rows"
    assert updated > 0, "updated rows"
    assert deleted > 0, "soft deletes"
    assert late > 0, "late-arriving rows"
    assert empty > 0, "optional fields left empty"


def test_next_day_drop_adds_exactly_the_new_day(tmp_path: Path) -> None:
    """Data as of the 15th plus a --since drop for the 15th equals the data as of the 16th."""
    base = GeneratorOptions(accounts=25, months=4, seed=5, as_of=date(2026, 6, 10))
    generate(tmp_path / "a", base)
    rows = generate(
        tmp_path / "a",
        GeneratorOptions(accounts=25, months=4, seed=5, as_of=date(2026, 6, 11), since=date(2026, 6, 10)),
    )
    generate(tmp_path / "b", GeneratorOptions(accounts=25, months=4, seed=5, as_of=date(2026, 6, 11)))
    assert rows.get("product__events", 0) > 0
    drop = [p for p in (tmp_path / "a").rglob("2026-06-11/*") if p.is_file()]
    assert drop, "the drop lands in its own extract folder"
    conn = duckdb.connect()
    for pattern, reader in [
        ("product/events/*/*.parquet", "read_parquet"),
        ("support/tickets/*/*.jsonl", "read_json_auto"),
        ("billing/invoices/*/*.csv", "read_csv"),
    ]:
        a = f"select * exclude (filename) from {reader}('{tmp_path / 'a' / pattern}', filename = true)"
        b = f"select * exclude (filename) from {reader}('{tmp_path / 'b' / pattern}', filename = true)"
        assert conn.execute(f"select count(*) from ({a} except all {b})").fetchone()[0] == 0, pattern
        assert conn.execute(f"select count(*) from ({b} except all {a})").fetchone()[0] == 0, pattern
