"""Read billing from the Stripe API (official SDK) into the contract's billing tables, incremental, same checks.

A sync of one billing table (`subscriptions`, `invoices` or `payments`):

1. **What to read.** The first sync reads everything (customers, products, prices and plans, coupons,
   subscriptions of every status with their items, invoices with their lines, charges, and the events
   Stripe still keeps: 30 days). A later sync lists the events since the table's cursor and reads again
   only the subscriptions, invoices and charges they touch (and the invoices of those subscriptions).
   A cursor older than Stripe's 30 days of events means a full read again.
2. **Rows.** `stripe_model` turns the objects into contract rows; Stripe customers become accounts by
   `metadata[<CSW_STRIPE_ACCOUNT_KEY>]` (default `account_id`), else by the CRM account whose
   `stripe_customer_id` is the customer's id (accepted CRM rows, read at the sync). A customer with billing but no account
   stops the sync with the list of such customers (nothing of the table is loaded).
3. **Load.** The rows are written as one CSV batch (`data/stripe/billing/<table>/<date>/<load_id>.csv`)
   without the rows `raw` already holds exactly (so a second sync loads nothing), and loaded by the
   file loader (`lib/extract.load_or_quarantine`): contract check, quarantine, verdict, `csw loads`.
   Each row's lineage is its Stripe object (`_source_file` = `stripe:subscription/sub_...`). The cursor
   (`raw._stripe_cursors`) moves in the same transaction as the batch: a sync stopped half-way keeps the
   tables it finished and nothing of the one in flight.

The API key never reaches a message, a log or a file (`redact`). No Dagster here; settings are passed in.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import stripe

from dagster_project.contract import Table
from dagster_project.lib.extract import (
    LoadResult,
    SourceFile,
    ensure_schema,
    load_or_quarantine,
    new_load_id,
    sha256,
    sql_literal,
)
from dagster_project.lib.sources.stripe_model import (
    Catalog,
    StripeMappingError,
    ident,
    invoice_row,
    invoice_subscription,
    iso,
    paid_invoice_payment_row,
    payment_row,
    pending_invoice,
    subscription_versions,
)

# Stripe keeps events for 30 days; a cursor older than this (with a day's margin) reads everything again.
EVENT_RETENTION = timedelta(days=29)
PAGE_SIZE = 100
TABLES = ("subscriptions", "invoices", "payments")
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
)


class StripeSourceError(RuntimeError):
    """Stripe could not be read, or what it holds cannot be mapped; the message says what to do."""


@dataclass(frozen=True)
class StripeConfig:
    api_key: str = field(repr=False)
    api_base: str | None = None
    account_key: str = "account_id"
    plan_key: str = "plan"

    @property
    def label(self) -> str:
        return f"Stripe ({self.api_base or 'https://api.stripe.com'}, key {redact(self.api_key)})"


def redact(key: str) -> str:
    """A key as Stripe's dashboard shows it: its kind and last four characters."""
    kind = key.split("_", 2)
    prefix = "_".join(kind[:2]) + "_" if len(kind) == 3 else ""
    return f"{prefix}...{key[-4:]}" if len(key) > 8 else "***"


def _client(config: StripeConfig) -> stripe.StripeClient:
    bases = {"api": config.api_base.rstrip("/")} if config.api_base else None
    return stripe.StripeClient(config.api_key, base_addresses=bases, max_network_retries=2)


def _plain(obj: Any) -> Any:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


class StripeReader:
    """Every list and retrieve the sync makes, each read once per sync; errors name Stripe and never the key."""

    def __init__(self, config: StripeConfig, progress: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.client = _client(config)
        self.progress = progress or (lambda _msg: None)
        self._lists: dict[str, list[dict]] = {}

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except stripe.AuthenticationError:
            raise StripeSourceError(
                f"{self.config.label}: the key was refused while reading {what} (CSW_STRIPE_API_KEY: a restricted "
                "key with read access to Customers, Products, Prices, Plans, Coupons, Subscriptions, Invoices "
                "(with invoice items), Charges and Events)"
            ) from None
        except stripe.APIConnectionError as e:
            detail = " ".join(str(e.user_message or e).split())  # one line: the run summary shows one
            raise StripeSourceError(
                f"{self.config.label}: cannot reach the server while reading {what} ({detail}); "
                "nothing of this table was loaded, the next run goes on from the last cursor"
            ) from None
        except stripe.StripeError as e:
            raise StripeSourceError(f"{self.config.label}: {what}: {e.user_message or e}") from None

    def _list(self, name: str, resource: Any, **params: Any) -> list[dict]:
        key = f"{name}:{sorted(params.items())}"
        if key not in self._lists:

            def read() -> list[dict]:
                out = []
                page = resource.list(params={"limit": PAGE_SIZE, **params})
                for obj in page.auto_paging_iter():
                    out.append(_plain(obj))
                    if len(out) % 5000 == 0:
                        self.progress(f"stripe: {len(out):,} {name} read")
                return out

            self._lists[key] = self._call(f"the {name} list", read)
        return self._lists[key]

    def customers(self) -> list[dict]:
        return self._list("customers", self.client.v1.customers)

    def products(self) -> list[dict]:
        return self._list("products", self.client.v1.products)

    def coupons(self) -> list[dict]:
        return self._list("coupons", self.client.v1.coupons)

    def prices(self) -> list[dict]:
        """Prices and the plans before them: a price's id may be a plan's (both ids are kept)."""
        found = list(self._list("plans", self.client.v1.plans))
        try:
            found += self._list("prices", self.client.v1.prices, expand=["data.tiers"])
        except StripeSourceError as e:  # a server without the prices endpoint (localstripe): plans only
            if "404" not in str(e) and "Not Found" not in str(e) and "Unrecognized" not in str(e):
                raise
        return found

    # discounts are ids unless expanded, and cannot be fetched by id (Stripe's API reference, "The Discount
    # object"): every subscription and invoice is read with its discounts expanded
    def subscriptions(self) -> list[dict]:
        return self._list("subscriptions", self.client.v1.subscriptions, status="all", expand=["data.discounts"])

    def invoices(self, subscription: str | None = None) -> list[dict]:
        params = {"subscription": subscription} if subscription else {}
        listed = self._list("invoices", self.client.v1.invoices, expand=["data.discounts"], **params)
        return [self._full_lines(i) for i in listed]

    def pending_items(self) -> list[dict]:
        """Invoice items not invoiced yet: the prorations of changes since each subscription's last invoice."""
        return self._list("pending invoice items", self.client.v1.invoice_items, pending=True)

    def charges(self) -> list[dict]:
        return self._list("charges", self.client.v1.charges)

    def events(self, since: datetime) -> list[dict]:
        return self._list("events", self.client.v1.events, created={"gte": int(since.timestamp())})

    def anything_after(self, moment: datetime) -> bool:
        """Whether Stripe has an event newer than `moment`: one page of one event, not the 30-day window."""
        page = self._call(
            "the events list",
            lambda: self.client.v1.events.list(params={"limit": 1, "created": {"gt": int(moment.timestamp())}}),
        )
        return bool(page.data)

    def retrieve(self, kind: str, object_id: str) -> dict | None:
        resource = getattr(self.client.v1, kind)
        params = {"expand": ["discounts"]} if kind in ("subscriptions", "invoices") else None
        try:
            return _plain(resource.retrieve(object_id, params=params))
        except stripe.InvalidRequestError as e:
            if e.http_status == 404:
                return None
            raise StripeSourceError(f"{self.config.label}: {kind} {object_id}: {e.user_message or e}") from None

    def _full_lines(self, invoice: dict) -> dict:
        lines = invoice.get("lines") or {}
        if lines.get("has_more"):
            invoice = dict(invoice)
            invoice["lines"] = {
                "data": self._call(
                    f"the lines of invoice {invoice['id']}",
                    lambda: [
                        _plain(x)
                        for x in self.client.v1.invoices.line_items.list(
                            invoice["id"], params={"limit": PAGE_SIZE}
                        ).auto_paging_iter()
                    ],
                )
            }
        return invoice


# ---------------------------------------------------------------------------------------------------------------
# rows


def _catalog(reader: StripeReader) -> Catalog:
    return Catalog(
        prices={p["id"]: p for p in reader.prices()},
        products={p["id"]: p for p in reader.products()},
        coupons={c["id"]: c for c in reader.coupons()},
        plan_key=reader.config.plan_key,
    )


class Accounts:
    """Stripe customer id -> account id: the customer's metadata key first, else the CRM account that holds the
    customer's id (`accounts.stripe_customer_id`); deleted customers too (from their events). A full sync lists
    every customer; an incremental one retrieves only the customers of what it reads again (a sync's cost
    follows what changed, not the size of the account)."""

    def __init__(self, reader: StripeReader, events: list[dict], crm: Mapping[str, str] | None, full: bool) -> None:
        self.reader, self.crm = reader, dict(crm or {})
        self.known: dict[str, str | None] = {}
        for event in events:  # a deleted customer is no longer listed; its event still carries it
            obj = (event.get("data") or {}).get("object") or {}
            if obj.get("object") == "customer":
                self.known[obj["id"]] = self._of(obj)
        if full:
            for customer in reader.customers():
                self.known[customer["id"]] = self._of(customer)

    def _of(self, customer: Mapping[str, Any]) -> str | None:
        return (customer.get("metadata") or {}).get(self.reader.config.account_key) or self.crm.get(customer["id"])

    def get(self, customer_id: str) -> str | None:
        if customer_id not in self.known:
            found = self.reader.retrieve("customers", customer_id) if customer_id else None
            self.known[customer_id] = (
                self._of(found) if found and not found.get("deleted") else self.crm.get(customer_id)
            )
        return self.known[customer_id]


def crm_stripe_ids(conn: duckdb.DuckDBPyConnection, accounts: Table) -> dict[str, str]:
    """Stripe customer id -> account id, from the CRM accounts' `stripe_customer_id`: the latest version of each
    account in loads not rejected or retired (a load of this run is still pending when billing is read), deleted
    accounts left out. Two accounts that claim one customer stop the sync, naming both."""
    ensure_schema(conn, accounts)
    rows = conn.execute(
        f"""select stripe_customer_id, list(account_id order by account_id) from (
                select a.account_id, a.stripe_customer_id, a.is_deleted, row_number() over (
                    partition by a.account_id order by a.updated_at desc, a._load_id desc) as newest
                from raw.{accounts.raw_name} as a
                inner join raw._load_log as l on l.load_id = a._load_id and l.verdict in ('accepted', 'pending'))
            where newest = 1 and not coalesce(is_deleted, false) and stripe_customer_id is not null
            group by stripe_customer_id order by stripe_customer_id"""
    ).fetchall()
    claimed = [f"{customer} by {', '.join(ids)}" for customer, ids in rows if len(ids) > 1]
    if claimed:
        raise StripeSourceError(
            f"the CRM gives one Stripe customer to several accounts ({'; '.join(claimed[:10])}): "
            "keep stripe_customer_id on one account each"
        )
    return {customer: ids[0] for customer, ids in rows}


def _account_of(accounts: Accounts, customer: Any, unmatched: set[str]) -> str | None:
    customer_id = ident(customer)
    account = accounts.get(customer_id or "")
    if not account:
        unmatched.add(customer_id or "(none)")
    return account


@dataclass
class Rows:
    table: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    unmatched: set[str] = field(default_factory=set)

    def add(self, row: dict[str, Any] | None, origin: str) -> None:
        if row is not None:
            self.rows.append(row)
            self.origins.append(origin)


@dataclass(frozen=True)
class Scope:
    """What a sync reads: everything (ids None), or the objects the new events touched."""

    subscriptions: set[str] | None = None
    invoices: set[str] | None = None
    charges: set[str] | None = None


def _scope_from_events(events: list[dict]) -> Scope:
    subs, invoices, charges = set(), set(), set()
    for event in events:
        obj = (event.get("data") or {}).get("object") or {}
        kind = obj.get("object")
        if kind == "subscription":
            subs.add(obj["id"])
        elif kind == "invoice":
            invoices.add(obj["id"])
            if invoice_subscription(obj):
                subs.add(invoice_subscription(obj))
        elif kind == "charge":
            charges.add(obj["id"])
            if ident(obj.get("invoice")):
                invoices.add(ident(obj.get("invoice")))
    return Scope(subs, invoices, charges)


def _subscriptions_in(reader: StripeReader, scope: Scope) -> list[dict]:
    if scope.subscriptions is None:
        return reader.subscriptions()
    found = [reader.retrieve("subscriptions", s) for s in sorted(scope.subscriptions)]
    return [s for s in found if s is not None]


def _invoices_in(reader: StripeReader, scope: Scope) -> list[dict]:
    if scope.invoices is None:
        return reader.invoices()
    found = [reader.retrieve("invoices", i) for i in sorted(scope.invoices)]
    return [reader._full_lines(i) for i in found if i is not None]


def subscription_rows(
    reader: StripeReader,
    scope: Scope,
    events: list[dict],
    known: Mapping[str, list[dict[str, Any]]] | None = None,
    now: datetime | None = None,
    crm: Mapping[str, str] | None = None,
) -> Rows:
    known = known or {}
    catalog = _catalog(reader)
    accounts = Accounts(reader, events, crm, scope.subscriptions is None)
    out = Rows("subscriptions")
    subs = _subscriptions_in(reader, scope)
    if scope.subscriptions is None:
        by_sub: dict[str, list[dict]] = defaultdict(list)
        for invoice in reader.invoices():
            if invoice_subscription(invoice):
                by_sub[invoice_subscription(invoice) or ""].append(invoice)
    else:
        by_sub = {s["id"]: reader.invoices(subscription=s["id"]) for s in subs}
    pending: dict[str, list[dict]] = defaultdict(list)
    for item in reader.pending_items():
        if invoice_subscription(item):
            pending[invoice_subscription(item) or ""].append(item)
    catalog.learn_discounts(subs)
    for sub in subs:
        upcoming = pending_invoice(pending.get(sub["id"], []), sub.get("discounts"))
        if upcoming is not None:
            by_sub[sub["id"]] = [*by_sub.get(sub["id"], []), upcoming]
    catalog.learn_discounts(invoice for invoices in by_sub.values() for invoice in invoices)
    sub_events: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        obj = (event.get("data") or {}).get("object") or {}
        if event.get("type") in SUBSCRIPTION_EVENTS and obj.get("object") == "subscription":
            sub_events[obj["id"]].append(event)
    for sub in subs:
        account = _account_of(accounts, sub.get("customer"), out.unmatched)
        try:
            rows = subscription_versions(
                sub,
                by_sub.get(sub["id"], []),
                sub_events.get(sub["id"], []),
                catalog,
                account,
                known.get(sub["id"], []),
                now,
            )
        except StripeMappingError as e:
            raise StripeSourceError(f"{reader.config.label}: stripe:subscription/{sub['id']}: {e}") from None
        for row in rows:
            out.add(row, f"stripe:subscription/{sub['id']}")
    return out


def invoice_rows(reader: StripeReader, scope: Scope, events: list[dict], crm: Mapping[str, str] | None = None) -> Rows:
    accounts = Accounts(reader, events, crm, scope.subscriptions is None)
    out = Rows("invoices")
    for invoice in _invoices_in(reader, scope):
        row = invoice_row(invoice, None)
        if row is not None:
            row["account_id"] = _account_of(accounts, invoice.get("customer"), out.unmatched)
        out.add(row, f"stripe:invoice/{invoice['id']}")
    return out


def payment_rows(reader: StripeReader, scope: Scope, events: list[dict], crm: Mapping[str, str] | None = None) -> Rows:
    accounts = Accounts(reader, events, crm, scope.subscriptions is None)
    out = Rows("payments")
    invoices = {i["id"]: i for i in (reader.invoices() if scope.invoices is None else _invoices_in(reader, scope))}
    by_intent = {ident(i.get("payment_intent")): i["id"] for i in invoices.values() if i.get("payment_intent")}
    charged: set[str] = set()
    if scope.charges is None:
        charges = reader.charges()
    else:  # the charges the events name and those of the invoices read again, each retrieved
        wanted = scope.charges | {ident(i.get("charge")) for i in invoices.values() if ident(i.get("charge"))}
        charges = [c for c in (reader.retrieve("charges", cid) for cid in sorted(wanted)) if c is not None]
    for charge in charges:
        invoice_id = ident(charge.get("invoice")) or by_intent.get(ident(charge.get("payment_intent")))
        if not invoice_id:
            continue  # a charge outside invoicing (a one-off PaymentIntent): not an invoice payment
        account = _account_of(accounts, charge.get("customer"), out.unmatched)
        row = payment_row(charge, invoice_id, account)
        if row is not None:
            charged.add(invoice_id)
        out.add(row, f"stripe:charge/{charge['id']}")
    for invoice in invoices.values():
        if invoice["id"] not in charged:
            account = accounts.get(ident(invoice.get("customer")) or "")
            out.add(paid_invoice_payment_row(invoice, account), f"stripe:invoice/{invoice['id']}")
    return out


ROW_BUILDERS: dict[str, Callable[..., Rows]] = {
    "subscriptions": subscription_rows,
    "invoices": invoice_rows,
    "payments": payment_rows,
}


# ---------------------------------------------------------------------------------------------------------------
# cursor and load


def _ensure_cursor_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "create table if not exists raw._stripe_cursors (table_name varchar, source varchar, "
        "last_event_at timestamptz, last_event_id varchar, synced_at timestamptz)"
    )


def cursor(conn: duckdb.DuckDBPyConnection, table: Table) -> tuple[datetime | None, str | None]:
    _ensure_cursor_table(conn)
    row = conn.execute(
        "select last_event_at, last_event_id from raw._stripe_cursors where table_name = ?", [table.raw_name]
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _write_batch(path: Path, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*table.column_names, "_origin"])
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in table.column_names] + [row["_origin"]])


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _new_rows(conn: duckdb.DuckDBPyConnection, table: Table, path: Path) -> int:
    """Keep in the batch file only the rows `raw` does not hold exactly (every contract column); return them."""
    p = sql_literal(str(path))
    conn.execute(
        f"create or replace temp table _stripe_batch as select * from read_csv({p}, all_varchar = true, "
        "header = true, delim = ',', quote = '\"')"
    )
    same = " and ".join(
        f'r."{c.name}" is not distinct from try_cast(nullif(b."{c.name}", \'\') as {c.duckdb_type})'
        for c in table.columns
    )
    new_rows = f"select b.* from _stripe_batch b where not exists (select 1 from raw.{table.raw_name} r where {same})"
    new = conn.execute(f"select count(*) from ({new_rows})").fetchone()[0]
    conn.execute(
        f"create or replace temp table _stripe_lineage as select row_number() over () + 1 as line, _origin from ({new_rows})"
    )
    if new:
        conn.execute(f"copy ({new_rows.replace('b.*', 'b.* exclude (_origin)')}) to {p} (header true)")
    conn.execute("drop table if exists _stripe_batch")
    return new


def _known_versions(conn: duckdb.DuckDBPyConnection, table: Table) -> dict[str, list[dict[str, Any]]]:
    """The versions loaded so far (latest copy of each, deletions left out), by subscription."""
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for values in conn.execute(
        f"""select {cols} from (
                select *, row_number() over (partition by subscription_id, effective_at
                                             order by updated_at desc, _loaded_at desc) as _rank
                from raw.{table.raw_name})
            where _rank = 1 and not coalesce(is_deleted, false)"""
    ).fetchall():
        row = dict(zip(table.column_names, values, strict=True))
        found[row["subscription_id"]].append(row)
    return found


def _retract_vanished_versions(conn: duckdb.DuckDBPyConnection, table: Table, rows: Rows, at: datetime) -> None:
    """A version loaded before that Stripe no longer shows (a cancellation at period end taken back) is
    sent again with `is_deleted = true`, so that staging drops it."""
    ids = sorted({r["subscription_id"] for r in rows.rows})
    if not ids:
        return
    derived = {(r["subscription_id"], r["effective_at"]) for r in rows.rows}
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    placeholders = ", ".join("?" for _ in ids)
    current = conn.execute(
        f"""select {cols} from (
                select *, row_number() over (partition by subscription_id, effective_at
                                             order by updated_at desc, _loaded_at desc) as _rank
                from raw.{table.raw_name} where subscription_id in ({placeholders}))
            where _rank = 1 and not coalesce(is_deleted, false)""",
        ids,
    ).fetchall()
    for values in current:
        row = dict(zip(table.column_names, values, strict=True))
        key = (row["subscription_id"], iso(row["effective_at"].astimezone(UTC)))
        if key in derived:
            continue
        for name, value in row.items():
            if isinstance(value, datetime):
                row[name] = iso(value.astimezone(UTC))
        row.update(is_deleted=True, updated_at=iso(max(at, row_time(row))))
        rows.add(row, f"stripe:subscription/{row['subscription_id']}")


def row_time(row: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(row["updated_at"]).replace("Z", "+00:00")) + timedelta(seconds=1)


def sync_stripe_table(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    config: StripeConfig,
    work_dir: Path,
    quarantine_dir: Path,
    run_id: str | None = None,
    reader: StripeReader | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    crm_accounts: Table | None = None,
) -> LoadResult:
    """Load what changed in Stripe since this table's cursor; safe to call again (a second call loads nothing).
    With `crm_accounts` (the contract's CRM accounts table), a customer without the metadata key is matched by
    the CRM account that holds its Stripe id."""
    if table.source != "billing" or table.name not in ROW_BUILDERS:
        raise ValueError(f"{table.raw_name} is not read from Stripe")
    reader = reader or StripeReader(config, progress)
    result = LoadResult(table.raw_name, run_id)
    conn.execute("set TimeZone = 'UTC'")
    ensure_schema(conn, table)
    now = now or datetime.now(UTC)
    last_at, _ = cursor(conn, table)
    full = last_at is None or last_at < now - EVENT_RETENTION
    if not full and not reader.anything_after(last_at):
        return result  # nothing happened in Stripe since the last sync: one request (it read the whole
        # 30-day event window before: 65 s at 5,000 customers against localstripe)
    # every event Stripe keeps, also on a later sync: a subscription read again is rebuilt from the same
    # observations as before (its changes of the last 30 days are placed by their events)
    events = reader.events(now - EVENT_RETENTION)
    fresh = events if full else [e for e in events if e["created"] >= int(last_at.timestamp())]
    if not full and not [e for e in fresh if e["created"] > int(last_at.timestamp())]:
        return result  # nothing happened in Stripe since the last sync
    scope = Scope() if full else _scope_from_events(fresh)
    crm = crm_stripe_ids(conn, crm_accounts) if crm_accounts is not None else None
    if table.name == "subscriptions":
        rows = subscription_rows(reader, scope, events, _known_versions(conn, table), now, crm)
    else:
        rows = ROW_BUILDERS[table.name](reader, scope, events, crm)
    if rows.unmatched:
        shown = ", ".join(sorted(rows.unmatched)[:20]) + (" ..." if len(rows.unmatched) > 20 else "")
        raise StripeSourceError(
            f"{config.label}: {len(rows.unmatched)} customer(s) with {table.name} match no account: {shown}. "
            f"Set metadata[{config.account_key}] on each to its CRM account id (or point CSW_STRIPE_ACCOUNT_KEY at "
            "the metadata key that holds it), or give the CRM account its Stripe id (accounts.stripe_customer_id: "
            f"an account loaded in this same run is matched by the next); nothing of billing/{table.name} was loaded"
        )
    newest = max(events, key=lambda e: (e["created"], e["id"]), default=None)
    mark_at = datetime.fromtimestamp(newest["created"], UTC) if newest else (last_at or now - EVENT_RETENTION)
    if table.name == "subscriptions":
        _retract_vanished_versions(conn, table, rows, mark_at)
    advance = [
        ("delete from raw._stripe_cursors where table_name = ?", [table.raw_name]),
        (
            "insert into raw._stripe_cursors values (?, ?, ?, ?, ?)",
            [table.raw_name, config.api_base or "https://api.stripe.com", mark_at, newest and newest["id"], now],
        ),
    ]
    loaded_at = datetime.now(UTC)
    load_id = new_load_id(loaded_at)
    path = work_dir / table.source / table.name / f"{loaded_at:%Y-%m-%d}" / f"{load_id}.csv"
    _write_batch(path, table, [{**r, "_origin": o} for r, o in zip(rows.rows, rows.origins, strict=True)])
    new = _new_rows(conn, table, path)
    if new == 0:
        path.unlink()
        result.files_skipped += 1
        conn.execute("begin transaction")
        for statement, values in advance:
            conn.execute(statement, values)
        conn.execute("commit")
        return result
    label = f"stripe:{table.source}/{table.name}/{path.name}"
    source = SourceFile(path, label, sha256(path), path.stat().st_size, 0)
    lineage = [
        (
            f"update raw.{table.raw_name} as r set _source_file = l._origin from _stripe_lineage l "
            "where r._load_id = ? and r._source_line = l.line",
            [load_id],
        ),
        (
            "update raw._quarantine_rows as q set file_path = l._origin || ' (' || q.file_path || ')' "
            "from _stripe_lineage l where q.load_id = ? and q.line = l.line",
            [load_id],
        ),
        *advance,
    ]
    load_or_quarantine(conn, table, source, load_id, loaded_at, quarantine_dir, result, lineage)
    conn.execute("drop table if exists _stripe_lineage")
    return result


def iter_tables(tables: Iterable[Table]) -> Iterator[Table]:
    """The contract tables a Stripe sync fills."""
    return (t for t in tables if t.source == "billing" and t.name in ROW_BUILDERS)
