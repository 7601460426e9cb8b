"""Billing read from a Stripe API server of someone else's making (localstripe, from PyPI) with the official SDK.

A scripted history of a dozen customers is written into the server month by month (a test clock moves
its time; `devtools/stripe_server.py`), the rest of a small sample comes from files, and `csw run` with
CSW_STRIPE_API_KEY publishes marts whose MRR movements are checked against amounts computed by hand.
Then the sync's promises: a second sync loads nothing, a sync that stops half-way leaves whole tables
and the next completes, an unreachable server fails the run naming Stripe and publishes nothing, and a
customer with no account is named.
"""

from __future__ import annotations

import csv
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import TABLES
from dagster_project.generator import GeneratorOptions, generate
from dagster_project.generator.to_stripe import CARD, StripeWriter
from dagster_project.lib.extract import load_table
from dagster_project.lib.settings import REPO_ROOT
from dagster_project.lib.sources.stripe import StripeConfig, StripeReader, StripeSourceError, sync_stripe_table
from tests.helpers import PipelineRun, pipeline_env, run_csw

KEY = "sk_test_csw0000000000000000secret"
AS_OF = date(2026, 11, 15)
OPTIONS = GeneratorOptions(accounts=12, months=15, seed=42, as_of=AS_OF)
BILLING = {t.name: t for t in TABLES if t.source == "billing"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen


def start_server() -> Server:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.devtools.stripe_server", "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return Server(f"http://127.0.0.1:{port}", proc)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the Stripe test server did not start: {proc.stderr.read().decode()[-2000:]}")


def d(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def write_history(writer: StripeWriter) -> dict[str, str]:
    """The scripted history, oldest change first (one clock): account -> what happens to it."""
    growth = writer.plan("growth", "USD", 5000)
    starter = writer.plan("starter", "USD", 2000)
    enterprise_year = writer.plan("enterprise", "USD", 120000, "year")
    growth_eur = writer.plan("growth", "EUR", 4500)
    starter_jpy = writer.plan("starter", "JPY", 3000)  # yen: no minor unit
    cus = {f"ACC-{i:06d}": writer.customer(f"ACC-{i:06d}") for i in range(1, 13)}
    subs = {}
    subs["reactivated"] = writer.subscribe(d(2025, 10, 10), cus["ACC-000008"], starter, 2)
    subs["immediate_cancel"] = writer.subscribe(d(2025, 11, 10), cus["ACC-000007"], starter, 3)
    subs["seat_cut"] = writer.subscribe(d(2025, 12, 10), cus["ACC-000003"], growth, 10)
    subs["new"] = writer.subscribe(d(2026, 1, 10), cus["ACC-000001"], growth, 3)
    subs["upgrade"] = writer.subscribe(d(2026, 1, 10), cus["ACC-000002"], starter, 5)
    subs["period_end"] = writer.subscribe(d(2026, 1, 10), cus["ACC-000006"], growth, 2)
    writer.cancel(d(2026, 1, 15), subs["reactivated"])
    subs["trial"] = writer.subscribe(d(2026, 2, 3), cus["ACC-000004"], starter, 4, trial_end=d(2026, 2, 17))
    subs["yearly"] = writer.subscribe(d(2026, 2, 10), cus["ACC-000011"], enterprise_year, 1)
    subs["coupon"] = writer.subscribe(d(2026, 2, 12), cus["ACC-000012"], growth, 2, percent_off=Decimal(20))
    subs["eur"] = writer.subscribe(d(2026, 3, 10), cus["ACC-000009"], growth_eur, 2)
    writer.change(d(2026, 3, 20), subs["upgrade"], growth, 5)
    subs["jpy"] = writer.subscribe(d(2026, 4, 10), cus["ACC-000010"], starter_jpy, 2)
    writer.cancel(d(2026, 4, 20), subs["immediate_cancel"])
    subs["back"] = writer.subscribe(d(2026, 5, 10), cus["ACC-000008"], growth, 1)
    writer.change(d(2026, 5, 15), subs["seat_cut"], growth, 6)
    # a yearly plan's seats change mid-year: prorated, invoiced only at the renewal (pending until then)
    writer.change(d(2026, 5, 20), subs["yearly"], enterprise_year, 2)
    writer.cancel(d(2026, 6, 1), subs["period_end"], at_period_end=True)
    writer.change(d(2026, 6, 20), subs["coupon"], growth, 4)  # the coupon stays: 20% off the new seats too
    subs["trial_lost"] = writer.subscribe(d(2026, 6, 25), cus["ACC-000005"], starter, 4, trial_end=d(2026, 7, 9))
    writer.cancel(d(2026, 7, 5), subs["trial_lost"])
    writer.advance(datetime(2026, 11, 15, tzinfo=UTC))
    return subs


def fx(currency: str, month: str) -> Decimal:
    with (REPO_ROOT / "dbt" / "seeds" / "fx_rates.csv").open() as fh:
        for row in csv.DictReader(fh):
            if row["currency"] == currency and row["month"] == month:
                return Decimal(row["usd_per_unit"])
    raise KeyError((currency, month))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def stripe_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PipelineRun, Server]]:
    server = start_server()
    try:
        writer = StripeWriter(KEY, server.url, d(2025, 10, 1))
        write_history(writer)
        data_dir = tmp_path_factory.mktemp("stripe_pipeline")
        generate(data_dir / "landing", OPTIONS)
        shutil.rmtree(data_dir / "landing" / "billing")  # billing comes from Stripe
        env = pipeline_env(data_dir) | {"CSW_STRIPE_API_KEY": KEY, "CSW_STRIPE_API_BASE": server.url}
        proc = run_csw(["run", "--as-of", AS_OF.isoformat()], env)
        yield PipelineRun(data_dir, env, proc.returncode, proc.stdout + proc.stderr), server
    finally:
        server.process.kill()


def movements(run: PipelineRun, account: str) -> dict[str, tuple[str, Decimal]]:
    conn = duckdb.connect(str(run.data_dir / "published" / "marts.duckdb"), read_only=True)
    try:
        rows = conn.execute(
            "select strftime(month, '%Y-%m'), movement_type, new_mrr + reactivation_mrr + expansion_mrr "
            "- contraction_mrr - churned_mrr, ending_mrr from mrr_movements where account_id = ? order by month",
            [account],
        ).fetchall()
    finally:
        conn.close()
    return {m: (kind, change) for m, kind, change, _ in rows if kind not in ("flat", "none", None) and change}


def test_marts_show_each_movement_in_its_month(stripe_run: tuple[PipelineRun, Server]) -> None:
    run, _ = stripe_run
    assert run.returncode == 0, run.output[-4000:]
    assert "Stripe" not in run.output or KEY not in run.output, "the key is never printed"
    expected = {
        "ACC-000001": {"2026-01": ("new", Decimal("150.00"))},
        # a mid-period upgrade on 20 March, from 5 x 20.00 to 5 x 50.00
        "ACC-000002": {"2026-01": ("new", Decimal("100.00")), "2026-03": ("expansion", Decimal("150.00"))},
        "ACC-000003": {"2025-12": ("new", Decimal("500.00")), "2026-05": ("contraction", Decimal("-200.00"))},
        # in trial at the end of February? no: the trial ended on 17 February, so February counts
        "ACC-000004": {"2026-02": ("new", Decimal("80.00"))},
        # cancelled at period end on 1 June: MRR until the period ends on 10 June
        "ACC-000006": {"2026-01": ("new", Decimal("100.00")), "2026-06": ("churn", Decimal("-100.00"))},
        "ACC-000007": {"2025-11": ("new", Decimal("60.00")), "2026-04": ("churn", Decimal("-60.00"))},
        "ACC-000008": {
            "2025-10": ("new", Decimal("40.00")),
            "2026-01": ("churn", Decimal("-40.00")),
            "2026-05": ("reactivation", Decimal("50.00")),
        },
        "ACC-000009": {"2026-03": ("new", cents(Decimal(9000) * Decimal("0.01") * fx("EUR", "2026-03-01")))},
        "ACC-000010": {"2026-04": ("new", cents(Decimal(6000) * fx("JPY", "2026-04-01")))},
        # 1 x 1,200.00 a year, a second seat from 20 May (known from the pending proration items)
        "ACC-000011": {"2026-02": ("new", Decimal("100.00")), "2026-05": ("expansion", Decimal("100.00"))},
        # a forever coupon of 20%: 2 x 50.00 less 20%, then 2 seats more
        "ACC-000012": {"2026-02": ("new", Decimal("80.00")), "2026-06": ("expansion", Decimal("80.00"))},
    }
    for account, moves in expected.items():
        got = movements(run, account)
        # the EUR and JPY accounts move with their rate every month: compare their first month only
        if account in ("ACC-000009", "ACC-000010"):
            got = dict(list(got.items())[:1])
        assert got == moves, account
    assert movements(run, "ACC-000005") == {}, "a trial that never converted earns nothing"


def test_lineage_and_loads_name_stripe_objects(stripe_run: tuple[PipelineRun, Server]) -> None:
    run, _ = stripe_run
    files = {r[0].split("/")[0] for r in run.query("select distinct _source_file from raw.billing__subscriptions")}
    assert files == {"stripe:subscription"}
    origin = run.query("select count(*) from raw.billing__invoices where _source_file not like 'stripe:invoice/in_%'")
    assert origin == [(0,)]
    loads = run.query("select verdict, count(*) from raw._load_log where table_name like 'billing__%' group by 1")
    assert loads == [("accepted", 3)]


def test_second_sync_loads_nothing_and_new_changes_arrive(
    stripe_run: tuple[PipelineRun, Server], tmp_path: Path
) -> None:
    run, server = stripe_run
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(run.warehouse, warehouse)
    config = StripeConfig(KEY, server.url)
    conn = duckdb.connect(str(warehouse))
    try:
        for name in ("subscriptions", "invoices", "payments"):
            result = sync_stripe_table(conn, BILLING[name], config, tmp_path / "stripe", tmp_path / "q")
            assert (result.files_loaded, result.rows_loaded) == (0, 0), name
        # a seat change now: the next sync loads the subscription's new version and nothing else
        writer = StripeWriter.__new__(StripeWriter)
        writer.client = StripeReader(config).client
        writer.clock, writer.now = "clock_csw", datetime(2026, 11, 15, tzinfo=UTC)
        sub = conn.execute(
            "select subscription_id from raw.billing__subscriptions where account_id = 'ACC-000001' limit 1"
        ).fetchone()[0]
        writer.change(datetime(2026, 11, 20, tzinfo=UTC), sub, writer_plan(conn, sub), 4)
        result = sync_stripe_table(conn, BILLING["subscriptions"], config, tmp_path / "stripe", tmp_path / "q")
        assert result.rows_loaded == 1
        row = conn.execute(
            "select quantity, effective_at from raw.billing__subscriptions where subscription_id = ? "
            "order by effective_at desc limit 1",
            [sub],
        ).fetchone()
        assert row[0] == 4
        assert row[1] == datetime(2026, 11, 20, tzinfo=UTC), "placed by its event, not by the next invoice"
    finally:
        conn.close()


def writer_plan(conn: duckdb.DuckDBPyConnection, sub: str) -> str:
    plan, currency, unit = conn.execute(
        "select plan, currency, unit_amount from raw.billing__subscriptions where subscription_id = ? limit 1", [sub]
    ).fetchone()
    return f"{plan}-{currency.lower()}-{unit}-month-1"


def test_a_sync_stopped_half_way_leaves_whole_tables(stripe_run: tuple[PipelineRun, Server], tmp_path: Path) -> None:
    run, server = stripe_run
    config = StripeConfig(KEY, server.url)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        sync_stripe_table(conn, BILLING["subscriptions"], config, tmp_path / "stripe", tmp_path / "q")

        class Broken(StripeReader):
            def invoices(self, subscription: str | None = None) -> list[dict]:
                raise StripeSourceError("Stripe (test): the connection dropped")

        with pytest.raises(StripeSourceError):
            sync_stripe_table(
                conn, BILLING["invoices"], config, tmp_path / "stripe", tmp_path / "q", reader=Broken(config)
            )
        assert conn.execute("select count(*) from raw.billing__invoices").fetchone() == (0,)
        assert conn.execute("select table_name from raw._stripe_cursors").fetchall() == [("billing__subscriptions",)]
        result = sync_stripe_table(conn, BILLING["invoices"], config, tmp_path / "stripe", tmp_path / "q")
        assert result.rows_loaded == len([i for i in StripeReader(config).invoices() if i["status"] != "draft"])
        assert result.rows_loaded >= run.query("select count(*) from raw.billing__invoices")[0][0]
    finally:
        conn.close()


def test_unreachable_server_fails_the_run_naming_stripe(stripe_run: tuple[PipelineRun, Server], tmp_path: Path) -> None:
    run, _ = stripe_run
    data_dir = tmp_path / "data"
    shutil.copytree(run.data_dir, data_dir, ignore=shutil.ignore_patterns("quality", "dagster_home"))
    before = (data_dir / "published" / "marts.duckdb").stat().st_mtime_ns
    env = pipeline_env(data_dir) | {
        "CSW_STRIPE_API_KEY": KEY,
        "CSW_STRIPE_API_BASE": f"http://127.0.0.1:{_free_port()}",
    }
    proc = run_csw(["run", "--as-of", AS_OF.isoformat()], env)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Stripe" in out and "cannot reach the server" in out, out[-3000:]
    assert "nothing was published" in out
    assert KEY not in out and KEY[-4:] in out
    assert (data_dir / "published" / "marts.duckdb").stat().st_mtime_ns == before


def test_customers_with_no_account_are_named_then_matched_by_the_crm(tmp_path: Path) -> None:
    server = start_server()
    try:
        writer = StripeWriter(KEY, server.url, d(2026, 1, 1))
        plan = writer.plan("growth", "USD", 5000)
        known = writer.customer("ACC-000001")
        stray = writer.client.v1.customers.create(params={"name": "No metadata Ltd"}).id
        method = writer.client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": CARD,
            }
        )
        writer.client.v1.payment_methods.attach(method.id, params={"customer": stray})
        writer.client.v1.customers.update(stray, params={"invoice_settings": {"default_payment_method": method.id}})
        writer.subscribe(d(2026, 1, 2), known, plan, 1)
        writer.subscribe(d(2026, 1, 2), stray, plan, 1)
        conn = duckdb.connect(str(tmp_path / "w.duckdb"))
        with pytest.raises(StripeSourceError) as err:
            sync_stripe_table(conn, BILLING["subscriptions"], StripeConfig(KEY, server.url), tmp_path, tmp_path)
        assert stray in str(err.value) and known not in str(err.value)
        assert "metadata[account_id]" in str(err.value) and "stripe_customer_id" in str(err.value)
        assert conn.execute("select count(*) from raw.billing__subscriptions").fetchone() == (0,)
        # the CRM account that holds the customer's Stripe id matches it (a load of this run is still pending)
        accounts = next(t for t in TABLES if t.raw_name == "crm__accounts")
        folder = tmp_path / "landing" / "crm" / "accounts" / "2026-01-02"
        folder.mkdir(parents=True)
        (folder / "part-0000.csv").write_text(
            "account_id,account_name,region,created_at,updated_at,is_deleted,stripe_customer_id\n"
            f"ACC-000002,Stray Ltd,EMEA,2025-01-01T00:00:00Z,2026-01-02T00:00:00Z,false,{stray}\n"
        )
        load_table(conn, accounts, tmp_path / "landing", tmp_path / "quarantine")
        sync_stripe_table(
            conn, BILLING["subscriptions"], StripeConfig(KEY, server.url), tmp_path, tmp_path, crm_accounts=accounts
        )
        matched = conn.execute(
            "select distinct account_id from raw.billing__subscriptions order by account_id"
        ).fetchall()
        assert matched == [("ACC-000001",), ("ACC-000002",)]
        conn.close()
    finally:
        server.process.kill()
