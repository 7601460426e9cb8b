"""Stripe objects -> rows of the contract's billing tables. Pure functions, no network, no Dagster.

Stripe keeps no history table of a subscription; the state of each past moment is rebuilt from what it
does keep (docs/sources.md, "Stripe"):

- **invoice lines**: every billed period of a subscription item carries its period, price and quantity;
  a proration line carries the moment of a mid-period change (its period starts there);
- **events** (`customer.subscription.*`, kept by Stripe for 30 days): the whole subscription as it was
  at the event's time;
- **the subscription itself**: its trial, its cancellation (`ended_at`, `cancel_at_period_end`,
  `cancel_at`), its current items and discount.

Each source gives (time, state) observations; consecutive equal states collapse into one version.
Both the API shapes before 2025-03-31 (`invoice.subscription`, `line.price`, `subscription.discount`,
`subscription.current_period_*`, as localstripe serves them) and after (`invoice.parent.
subscription_details`, `line.pricing.price_details`, `subscription.discounts`, periods on items) are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

Obj = Mapping[str, Any]

# Stripe's zero-decimal currencies (JPY, KRW, ...: https://docs.stripe.com/currencies#zero-decimal) send
# amounts in whole units. The contract's minor units are the same numbers and the currencies seed gives
# each currency's minor digits (JPY: 0), so no amount is divided by 100 here.
# Statuses whose subscription earns MRR. `past_due` and `unpaid` stay revenue until Stripe cancels
# the subscription (the account's retry settings decide when), as ChartMogul and Baremetrics count them.
REVENUE_STATUSES = {"active", "past_due", "unpaid"}
# Never paid for, never started: no version at all.
NEVER_STARTED = {"incomplete", "incomplete_expired"}
# Months per interval for prices billed by the week or the day: normalised to a month by the connector
# (52 weeks or 365 days a year), since the contract's periods are months.
PERIODS_PER_YEAR = {"week": Decimal(52), "day": Decimal(365)}


class StripeMappingError(ValueError):
    """A Stripe object the contract cannot take as it is; the message names it and what to do."""


def ts(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def ident(value: Any) -> str | None:
    """An expandable field's id: Stripe sends either the id or the whole object."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get("id")
    return str(value)


def _get(obj: Obj | None, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def invoice_subscription(invoice: Obj) -> str | None:
    return ident(invoice.get("subscription")) or ident(_get(invoice, "parent", "subscription_details", "subscription"))


def pending_invoice(items: Iterable[Obj], discounts: Any = None) -> Obj | None:
    """A subscription's pending invoice items (the prorations of changes not invoiced yet) as the lines of the
    invoice that will bill them. Stripe bills a change's prorations at the next renewal: without these a
    yearly plan changed in March shows the change only next year (or from its event, for 30 days)."""
    lines = [{**item, "type": "invoiceitem"} for item in items]
    if not lines:
        return None
    created = max(int(item.get("date") or item.get("created") or 0) for item in lines)
    return {"id": "upcoming", "object": "invoice", "status": "open", "created": created,
            "lines": {"data": lines}, "discounts": list(discounts or [])}  # fmt: skip


def line_price(line: Obj) -> Any:
    return line.get("price") or line.get("plan") or _get(line, "pricing", "price_details", "price")


def line_is_subscription(line: Obj) -> bool:
    """A line billing a subscription item (not a one-off invoice item)."""
    if line.get("type") is not None:
        return line["type"] == "subscription" or (
            line["type"] == "invoiceitem" and bool(line.get("proration")) and line_price(line) is not None
        )
    parent = line.get("parent") or {}
    return parent.get("type") == "subscription_item_details" or bool(
        _get(parent, "invoice_item_details", "proration") and line_price(line) is not None
    )


def line_is_proration(line: Obj) -> bool:
    return bool(
        line.get("proration")
        or _get(line, "parent", "subscription_item_details", "proration")
        or _get(line, "parent", "invoice_item_details", "proration")
    )


@dataclass(frozen=True)
class Catalog:
    """Prices (or plans, their predecessor) and products by id, coupons, and the discounts seen expanded (a
    discount cannot be fetched by id: an event's subscription names its discounts by id only)."""

    prices: dict[str, Obj] = field(default_factory=dict)
    products: dict[str, Obj] = field(default_factory=dict)
    coupons: dict[str, Obj] = field(default_factory=dict)
    plan_key: str = "plan"
    discounts: dict[str, Obj] = field(default_factory=dict)

    def learn_discounts(self, objects: Iterable[Obj]) -> None:
        """Keep every expanded discount of these subscriptions or invoices, by id."""
        for obj in objects:
            for discount in [obj.get("discount"), *(obj.get("discounts") or [])]:
                if isinstance(discount, Mapping) and discount.get("id"):
                    self.discounts[str(discount["id"])] = discount

    def price(self, value: Any) -> Obj:
        if isinstance(value, Mapping):
            return value
        found = self.prices.get(str(value))
        if found is None:
            raise StripeMappingError(f"stripe:price/{value}: not among the prices and plans read")
        return found

    def plan_name(self, price: Obj) -> str:
        """The contract's plan: the product's metadata[plan_key], else the price's, else the product name."""
        product_id = ident(price.get("product"))
        product = price["product"] if isinstance(price.get("product"), Mapping) else self.products.get(product_id or "")
        for meta in (_get(product, "metadata"), price.get("metadata")):
            if isinstance(meta, Mapping) and meta.get(self.plan_key):
                return str(meta[self.plan_key]).strip().lower()
        name = (product or {}).get("name") or price.get("nickname") or product_id or ""
        return str(name).strip().lower()


@dataclass(frozen=True)
class ItemState:
    """What a subscription bills at one moment, in the contract's terms."""

    plan: str
    billing_interval: str
    interval_count: int
    quantity: int
    unit_amount: int
    recurring_amount: int | None
    currency: str


def _recurring(price: Obj) -> Obj:
    return price.get("recurring") or {
        "interval": price.get("interval"),
        "interval_count": price.get("interval_count") or 1,
        "usage_type": price.get("usage_type") or "licensed",
    }


def price_amount(price: Obj, quantity: int) -> int:
    """The amount a licensed price bills per period for `quantity` (per-unit, or tiered: volume or graduated)."""
    scheme = price.get("billing_scheme") or "per_unit"
    if scheme == "per_unit":
        unit = price.get("unit_amount", price.get("amount"))
        if unit is None:
            unit = Decimal(str(price.get("unit_amount_decimal") or 0))
        transform = price.get("transform_quantity")
        if transform:  # package pricing: per block of `divide_by` units
            blocks = Decimal(quantity) / Decimal(transform["divide_by"])
            blocks = blocks.to_integral_value("ROUND_CEILING" if transform.get("round") == "up" else "ROUND_FLOOR")
            return int(blocks * Decimal(unit))
        return int(Decimal(unit) * quantity)
    tiers = price.get("tiers") or []
    if not tiers:
        raise StripeMappingError(f"stripe:price/{price.get('id')}: tiered price without `tiers` (expand data.tiers)")

    def tier_cost(tier: Obj, units: int) -> int:
        return int(tier.get("unit_amount") or 0) * units + int(tier.get("flat_amount") or 0)

    if price.get("tiers_mode") == "volume":
        for tier in tiers:
            if tier.get("up_to") in (None, "inf") or quantity <= int(tier["up_to"]):
                return tier_cost(tier, quantity)
    total, below = 0, 0
    for tier in tiers:  # graduated: each tier bills the units that fall in it
        top = quantity if tier.get("up_to") in (None, "inf") else min(quantity, int(tier["up_to"]))
        if top > below:
            total += tier_cost(tier, top - below)
        below = max(below, top)
        if below >= quantity:
            break
    return total


def item_state(items: Iterable[tuple[Obj, int]], catalog: Catalog) -> ItemState | None:
    """The state billed by (price, quantity) items; None if no item is a licensed recurring price.

    Metered prices (`usage_type = metered`) bill what was used in arrears: variable, not committed
    recurring revenue, so they add nothing to MRR (their invoices are still read). Several items: the
    seats are the quantity of the item that bills the most, the amount is the sum of all of them.
    Prices by the week or day are turned into a month here (x 52/12, x 365/12, rounded to the minor unit).
    """
    billed = []
    for raw_price, quantity in items:
        price = catalog.price(raw_price)
        rec = _recurring(price)
        if rec.get("usage_type") == "metered" or not rec.get("interval"):
            continue
        billed.append((price, int(quantity or 0), rec, price_amount(price, int(quantity or 0))))
    if not billed:
        return None
    intervals = {(rec["interval"], int(rec.get("interval_count") or 1)) for _, _, rec, _ in billed}
    if len(intervals) > 1:  # Stripe refuses this; say so rather than guess
        raise StripeMappingError(f"items billed on different intervals {sorted(intervals)}")
    interval, count = intervals.pop()
    main_price, quantity, _, _ = max(billed, key=lambda b: (b[3], b[1]))
    total = sum(b[3] for b in billed)
    simple = len(billed) == 1 and (main_price.get("billing_scheme") or "per_unit") == "per_unit"
    simple = simple and not main_price.get("transform_quantity")
    unit = main_price.get("unit_amount", main_price.get("amount"))
    if unit is None:  # tiered: the average price of a seat
        unit = total // quantity if quantity else total
    recurring = None if simple else total
    if interval in PERIODS_PER_YEAR:
        per_month = Decimal(total) * PERIODS_PER_YEAR[interval] / Decimal(12) / Decimal(count)
        recurring = int(per_month.quantize(Decimal(1), ROUND_HALF_EVEN))
        interval, count = "month", 1
        unit = recurring // quantity if quantity else recurring
    currency = str(main_price.get("currency") or "").upper()
    return ItemState(catalog.plan_name(main_price), interval, count, quantity, int(unit), recurring, currency)


def discount_terms(discount: Obj | None, catalog: Catalog) -> tuple[Decimal | None, int | None, datetime | None]:
    """(percent off, amount off per period in minor units, end) of a recurring discount; once-only gives nothing.

    A coupon `once` takes money off one invoice: not recurring, so no MRR effect. `repeating` and
    `forever` coupons lower MRR; a repeating one until its `end`.
    """
    if not discount:
        return None, None, None
    coupon = discount.get("coupon") or _get(discount, "source", "coupon")
    if not isinstance(coupon, Mapping):
        coupon = catalog.coupons.get(str(coupon), {})
    if coupon.get("duration") == "once":
        return None, None, None
    end = ts(discount.get("end"))
    if coupon.get("percent_off") is not None:
        return Decimal(str(coupon["percent_off"])), None, end
    if coupon.get("amount_off") is not None:
        return None, int(coupon["amount_off"]), end
    return None, None, None


def subscription_discount(sub: Obj, catalog: Catalog | None = None) -> Obj | None:
    """The discount of a subscription or invoice: `discount` (older API) or the first of `discounts` (current
    API: ids unless expanded with `expand[]=discounts`; an id is resolved from the discounts seen expanded)."""
    if isinstance(sub.get("discount"), Mapping):
        return sub["discount"]
    for discount in sub.get("discounts") or []:
        if isinstance(discount, Mapping):
            return discount
        if catalog is not None and str(discount) in catalog.discounts:
            return catalog.discounts[str(discount)]
    return None


@dataclass(frozen=True)
class State:
    items: ItemState
    status: str  # trialing / active / canceled (the contract's)
    discount_percent: Decimal | None
    amount_off: int | None


def _sub_items(sub: Obj) -> list[tuple[Obj, int]]:
    data = _get(sub, "items", "data") or []
    if data:
        return [(item.get("price") or item.get("plan"), int(item.get("quantity") or 0)) for item in data]
    if sub.get("plan"):
        return [(sub["plan"], int(sub.get("quantity") or 1))]
    return []


def _contract_status(stripe_status: str | None) -> str:
    if stripe_status == "trialing":
        return "trialing"
    if stripe_status in REVENUE_STATUSES:
        return "active"
    return "canceled"  # canceled, paused


def _state_of(sub: Obj, catalog: Catalog, at: datetime) -> State | None:
    items = item_state(_sub_items(sub), catalog)
    if items is None:
        return None
    percent, amount_off, end = discount_terms(subscription_discount(sub, catalog), catalog)
    if end is not None and end <= at:
        percent = amount_off = None
    status = _contract_status(sub.get("status"))
    if status == "active" and sub.get("pause_collection"):
        status = "canceled"  # collection paused: the customer pays nothing while it lasts
    return State(items, status, percent, amount_off)


def _period_start(sub: Obj) -> int | None:
    start = sub.get("current_period_start")
    if start is None:
        starts = [item.get("current_period_start") for item in _get(sub, "items", "data") or []]
        start = min((s for s in starts if s is not None), default=None)
    return start


def state_from_row(row: Mapping[str, Any]) -> State:
    """A version loaded by an earlier sync, as an observation (amounts off are already in its amount)."""
    items = ItemState(
        str(row["plan"]),
        str(row["billing_interval"]),
        int(row.get("interval_count") or 1),
        int(row["quantity"]),
        int(row["unit_amount"]),
        None if row.get("recurring_amount") in (None, "") else int(row["recurring_amount"]),
        str(row["currency"]),
    )
    percent = row.get("discount_percent")
    return State(items, str(row["status"]), None if percent in (None, "") else Decimal(str(percent)), None)


def subscription_versions(
    sub: Obj,
    invoices: Iterable[Obj],
    events: Iterable[Obj],
    catalog: Catalog,
    account_id: str | None,
    known: Iterable[Mapping[str, Any]] = (),
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The contract's version rows of one Stripe subscription, oldest first.

    `known`: the versions earlier syncs loaded (`effective_at`, `updated_at` as datetimes). Stripe forgets
    events after 30 days, so a change an earlier sync placed by its event would later be seen only at the
    next billed period; the known versions keep it where it was. A known version still in the future
    (a cancellation at period end) counts only while Stripe still shows it.
    """
    if sub.get("status") in NEVER_STARTED:
        return []
    now = now or datetime.now(UTC)
    observations: list[tuple[datetime, int, State, datetime]] = []  # (effective, rank, state, written)
    for row in known:
        if row["effective_at"] <= now:
            observations.append((row["effective_at"], 2, state_from_row(row), row["updated_at"]))
    start = ts(sub.get("start_date") or sub.get("created"))
    trial_start, trial_end = ts(sub.get("trial_start")), ts(sub.get("trial_end"))
    ended = ts(sub.get("ended_at"))
    canceled_at = ts(sub.get("canceled_at"))
    current = _state_of(sub, catalog, datetime.now(UTC))
    if current is None:
        return []  # metered only: no recurring revenue to track

    def add(at: datetime | None, rank: int, state: State | None, written: datetime | None) -> None:
        if at is not None and state is not None:
            observations.append((at, rank, state, written or at))

    # 1. billed periods and mid-period changes, from the invoice lines. A proration line starts at the
    # moment of a change; when only the unused time of the old state is billed (no line for the new
    # state), the new state is the one the next billed period shows.
    changes: set[datetime] = set()
    for invoice in invoices:
        if invoice.get("status") in ("draft", "void"):
            continue
        written = ts(invoice.get("created"))
        by_start: dict[tuple[int, bool], list[tuple[Any, int]]] = {}
        for line in _get(invoice, "lines", "data") or []:
            if not line_is_subscription(line) or line_price(line) is None:
                continue
            proration = line_is_proration(line)
            period = line.get("period") or {}
            if proration and int(line.get("amount") or 0) <= 0:
                changes.add(ts(int(period.get("start"))))  # the unused time of the state left behind
                continue
            by_start.setdefault((int(period.get("start")), proration), []).append(
                (line_price(line), int(line.get("quantity") or 0))
            )
        percent, amount_off, end = discount_terms(subscription_discount(invoice, catalog), catalog)
        for (start_at, _proration), items in sorted(by_start.items()):
            at = ts(start_at)
            state_items = item_state(items, catalog)
            if state_items is None:
                continue
            active = not (end is not None and at is not None and end <= at)
            billed_nothing = all(int(q) == 0 for _, q in items)
            in_trial = trial_end is not None and at is not None and at < trial_end
            status = "trialing" if in_trial else "active"
            if billed_nothing:
                continue
            add(at, 1, State(state_items, status, percent if active else None, amount_off if active else None), written)
    billed = sorted((o for o in observations if o[1] == 1), key=lambda o: o[0])
    for at in sorted(changes):
        if any(o[0] == at for o in billed):
            continue
        after = next((o for o in billed if o[0] > at), None)
        if after is not None:
            add(at, 1, after[2], after[3])
    # 2. the whole subscription at each event of the last 30 days
    for event in events:
        obj = _get(event, "data", "object") or {}
        when = ts(event.get("created"))
        if obj.get("status") in NEVER_STARTED:
            continue
        state = _state_of(obj, catalog, when or datetime.now(UTC))
        if state is not None and event.get("type") == "customer.subscription.deleted":
            state = State(state.items, "canceled", state.discount_percent, state.amount_off)
            when = ts(obj.get("ended_at")) or when
        add(when, 3, state, ts(event.get("created")))
    # 3. the subscription itself: start, trial, current state, cancellation
    if trial_start is not None and trial_end is not None:
        first = min((o for o in observations), key=lambda o: o[0], default=None)
        base = first[2] if first is not None else current
        add(trial_start, 0, State(base.items, "trialing", None, None), trial_start)
        if (ended is None or ended > trial_end) and sub.get("status") != "trialing":
            later = [o for o in observations if o[0] >= trial_end]
            after = min(later, key=lambda o: o[0])[2] if later else current
            add(trial_end, 0, State(after.items, "active", after.discount_percent, after.amount_off), trial_end)
    elif start is not None and not any(o[0] <= start for o in observations):
        first = min(observations, key=lambda o: o[0], default=None)
        base = first[2] if first is not None else current
        add(start, 0, State(base.items, "active", base.discount_percent, base.amount_off), start)
    latest = max((o[0] for o in observations), default=start)
    period_start = ts(_period_start(sub))
    if current.status != "canceled" or ended is None:
        seen = max(filter(None, (latest, period_start)), default=start)
        # the object tells its state now, not when it began: at an instant something else observed
        # (a billed period), that observation wins; a change after it with no event and no proration
        # (a yearly plan changed over 30 days ago without proration) shows from the current period's start.
        # The object wins over an observation at that instant only when it differs from it: today's state
        # must show (a billed period at the same instant used to hide it for good)
        # (compared as of that instant: a repeating discount that has ended since still applied then)
        then = (_state_of(sub, catalog, seen) if seen is not None else None) or current
        at_seen = [o for o in observations if o[0] == seen]
        rank = 0 if at_seen and max(at_seen, key=lambda o: o[1])[2] == then else 4
        add(seen, rank, then, max(filter(None, (seen, canceled_at)), default=seen))
    _, _, discount_end = discount_terms(subscription_discount(sub, catalog), catalog)
    if discount_end is not None and current.status != "canceled":
        add(discount_end, 4, State(current.items, current.status, None, None), discount_end)
    end_at = ended or (ts(sub.get("cancel_at")) if sub.get("cancel_at") else None)
    if end_at is None and sub.get("cancel_at_period_end"):
        end_at = ts(sub.get("current_period_end")) or max(
            (ts(i.get("current_period_end")) for i in _get(sub, "items", "data") or []), default=None
        )
    if end_at is not None:
        last = max((o for o in observations if o[0] <= end_at), key=lambda o: (o[0], o[1]), default=None)
        base = last[2] if last is not None else current
        add(end_at, 5, State(base.items, "canceled", None, None), canceled_at or end_at)
        observations = [o for o in observations if o[0] <= end_at]
    return _versions_rows(sub, observations, account_id, start, trial_end, canceled_at if end_at else None)


def _versions_rows(
    sub: Obj,
    observations: list[tuple[datetime, int, State, datetime]],
    account_id: str | None,
    start: datetime | None,
    trial_end: datetime | None,
    canceled_at: datetime | None,
) -> list[dict[str, Any]]:
    # at one instant the most specific observation wins: events over invoices over the object's start
    best: dict[datetime, tuple[int, State, datetime]] = {}
    for at, rank, state, written in observations:
        if at not in best or rank >= best[at][0]:
            best[at] = (rank, state, max(written, best[at][2]) if at in best else written)
    rows: list[dict[str, Any]] = []
    previous: tuple | None = None
    for at in sorted(best):
        _, state, written = best[at]
        items = state.items
        recurring = items.recurring_amount
        if state.amount_off:
            base = recurring if recurring is not None else items.quantity * items.unit_amount
            recurring = max(base - state.amount_off, 0)
        content = (items.plan, items.billing_interval, items.interval_count, items.quantity, items.unit_amount,
                   items.currency, state.discount_percent, state.status, recurring)  # fmt: skip
        if content == previous:
            continue
        previous = content
        rows.append(
            {
                "subscription_id": sub["id"],
                "account_id": account_id,
                "plan": items.plan,
                "billing_interval": items.billing_interval,
                "quantity": items.quantity,
                "unit_amount": items.unit_amount,
                "currency": items.currency,
                "discount_percent": None if state.discount_percent is None else f"{state.discount_percent:f}",
                "status": state.status,
                "trial_end_at": iso(trial_end),
                "started_at": iso(start),
                "effective_at": iso(at),
                "canceled_at": iso(canceled_at) if state.status == "canceled" else None,
                "updated_at": iso(max(written, at)),
                "is_deleted": False,
                "interval_count": items.interval_count if items.interval_count != 1 else None,
                "recurring_amount": recurring,
            }
        )
    return rows


def invoice_row(invoice: Obj, account_id: str | None) -> dict[str, Any] | None:
    """The contract's invoice row; drafts are not invoices yet."""
    status = invoice.get("status")
    if status in (None, "draft"):
        return None
    transitions = invoice.get("status_transitions") or {}
    created = ts(invoice.get("created"))
    issued = ts(transitions.get("finalized_at")) or ts(invoice.get("date")) or created
    subtotal = int(invoice.get("subtotal") or 0)
    total = int(invoice.get("total") or 0)
    tax = invoice.get("tax")
    if tax is None:
        taxes = invoice.get("total_taxes") or invoice.get("total_tax_amounts") or []
        tax = sum(int(t.get("amount") or 0) for t in taxes) if taxes else max(total - subtotal, 0)
    # discounts lower the total below subtotal + tax; the contract's subtotal is what was billed before tax
    subtotal = max(total - int(tax), 0) if total < subtotal + int(tax) else subtotal
    # a credit (a downgrade's unused time larger than what is billed) goes to the customer's balance and
    # lowers a later invoice; Stripe collects nothing on this one: 0, as amounts are never negative
    subtotal, tax = max(subtotal, 0), max(int(tax), 0)
    changed = [ts(v) for v in transitions.values() if v] + [created]
    return {
        "invoice_id": invoice["id"],
        "account_id": account_id,
        "subscription_id": invoice_subscription(invoice),
        "invoice_type": "recurring" if invoice_subscription(invoice) else "one_off",
        "currency": str(invoice.get("currency") or "").upper(),
        "subtotal": subtotal,
        "tax": int(tax),
        "total": subtotal + int(tax),
        "issued_at": iso(issued),
        "due_at": iso(ts(invoice.get("due_date")) or issued),
        "paid_at": iso(ts(transitions.get("paid_at"))) if status == "paid" else None,
        "status": status,
        "updated_at": iso(max(c for c in changed if c is not None)),
        "is_deleted": False,
    }


def payment_row(charge: Obj, invoice_id: str, account_id: str | None) -> dict[str, Any] | None:
    """A charge against an invoice; a pending charge is not a payment yet."""
    if charge.get("status") not in ("succeeded", "failed"):
        return None
    created = iso(ts(charge.get("created")))
    return {
        "payment_id": charge["id"],
        "invoice_id": invoice_id,
        "account_id": account_id,
        "amount": int(charge.get("amount") or 0),
        "currency": str(charge.get("currency") or "").upper(),
        "status": charge["status"],
        "failure_reason": charge.get("failure_code"),
        "created_at": created,
        "updated_at": created,
        "is_deleted": False,
    }


def paid_invoice_payment_row(invoice: Obj, account_id: str | None) -> dict[str, Any] | None:
    """A paid invoice whose charge is not readable (paid out of band, or the current API's invoice payments)."""
    paid = ts(_get(invoice, "status_transitions", "paid_at"))
    if invoice.get("status") != "paid" or paid is None or not int(invoice.get("amount_paid") or 0):
        return None
    return {
        "payment_id": f"{invoice['id']}:paid",
        "invoice_id": invoice["id"],
        "account_id": account_id,
        "amount": int(invoice.get("amount_paid") or 0),
        "currency": str(invoice.get("currency") or "").upper(),
        "status": "succeeded",
        "failure_reason": None,
        "created_at": iso(paid),
        "updated_at": iso(paid),
        "is_deleted": False,
    }
