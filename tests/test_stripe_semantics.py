"""How Stripe's objects become the contract's subscription versions, invoices and payments, rule by rule.

The objects are written in the shapes of Stripe's API reference, the current version's (2025-03-31 and
later: `invoice.parent.subscription_details`, `line.pricing.price_details`, `subscription.discounts`,
periods on subscription items) where localstripe serves the older ones. Each expectation is computed
by hand in its comment. localstripe has no prices, tiers on prices or paused collection (and coupons on
subscriptions only through devtools/stripe_server.py): these rules are proven here, the path through the
server in test_stripe_source.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dagster_project.lib.sources.stripe_model import (
    Catalog,
    StripeMappingError,
    invoice_row,
    item_state,
    paid_invoice_payment_row,
    price_amount,
    subscription_versions,
)

NOW = datetime(2026, 11, 15, tzinfo=UTC)


def t(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


def price(pid: str, amount: int | None, interval: str = "month", count: int = 1, **extra: Any) -> dict:
    return {
        "id": pid,
        "object": "price",
        "currency": extra.pop("currency", "usd"),
        "product": "prod_growth",
        "unit_amount": amount,
        "billing_scheme": extra.pop("billing_scheme", "per_unit"),
        "recurring": {"interval": interval, "interval_count": count, "usage_type": extra.pop("usage", "licensed")},
        **extra,
    }


CATALOG = Catalog(
    prices={
        p["id"]: p
        for p in [
            price("price_m", 5000),
            price("price_y", 60000, "year"),
            price("price_q", 12000, "month", 3),
            price("price_w", 1000, "week"),
            price("price_fee", 3000),
            price("price_metered", 10, usage="metered"),
            price("price_jpy", 3000, currency="jpy"),
        ]
    },
    products={"prod_growth": {"id": "prod_growth", "name": "Growth", "metadata": {"plan": "growth"}}},
    coupons={
        "pct_forever": {"id": "pct_forever", "percent_off": 20, "duration": "forever"},
        "pct_once": {"id": "pct_once", "percent_off": 50, "duration": "once"},
        "amt_repeating": {"id": "amt_repeating", "amount_off": 1000, "duration": "repeating", "duration_in_months": 3},
    },
)


def sub(items: list[tuple[str, int]], **extra: Any) -> dict:
    """A subscription as the current API returns it (periods on the items)."""
    return {
        "id": extra.pop("id", "sub_1"),
        "object": "subscription",
        "customer": "cus_1",
        "status": extra.pop("status", "active"),
        "start_date": extra.pop("start_date", t(2026, 1, 10)),
        "created": t(2026, 1, 10),
        "items": {
            "data": [
                {
                    "id": f"si_{i}",
                    "price": CATALOG.prices[p],
                    "quantity": q,
                    "current_period_start": extra.get("period_start", t(2026, 11, 10)),
                    "current_period_end": extra.get("period_end", t(2026, 12, 10)),
                }
                for i, (p, q) in enumerate(items)
            ]
        },
        **{k: v for k, v in extra.items() if k not in ("period_start", "period_end")},
    }


def versions(s: dict, invoices: list[dict] = (), events: list[dict] = ()) -> list[tuple]:
    rows = subscription_versions(s, invoices, events, CATALOG, "ACC-1", now=NOW)
    return [
        (
            r["effective_at"][:10],
            r["status"],
            r["quantity"],
            r["unit_amount"],
            r["recurring_amount"],
            r["billing_interval"],
            r["interval_count"],
            r["discount_percent"],
        )
        for r in rows
    ]


def line(p: str, qty: int, start: int, end: int, proration: bool = False, amount: int | None = None) -> dict:
    """An invoice line item of the current API."""
    return {
        "object": "line_item",
        "amount": amount if amount is not None else CATALOG.prices[p]["unit_amount"] * qty,
        "quantity": qty,
        "period": {"start": start, "end": end},
        "pricing": {"type": "price_details", "price_details": {"price": p, "product": "prod_growth"}},
        "parent": {
            "type": "subscription_item_details",
            "subscription_item_details": {"subscription": "sub_1", "proration": proration},
        },
    }


def invoice(lines: list[dict], created: int, **extra: Any) -> dict:
    return {
        "id": extra.pop("id", f"in_{created}"),
        "object": "invoice",
        "customer": "cus_1",
        "status": extra.pop("status", "paid"),
        "currency": "usd",
        "created": created,
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1"}},
        "lines": {"data": lines},
        **extra,
    }


def test_intervals_normalise_to_the_contract() -> None:
    # yearly: the contract keeps the year (dbt divides by 12): 60000 per seat-year
    assert versions(sub([("price_y", 2)]))[0][2:7] == (2, 60000, None, "year", None)
    # every 3 months: month x 3 (dbt divides by 3)
    assert versions(sub([("price_q", 1)]))[0][2:7] == (1, 12000, None, "month", 3)
    # weekly, 2 seats x 10.00: 2000 x 52 / 12 = 8666.67 -> 8667 a month, 4333 a seat
    assert versions(sub([("price_w", 2)]))[0][2:7] == (2, 4333, 8667, "month", None)


def test_several_items_and_metered_prices() -> None:
    # 5 seats x 50.00 + a 30.00 platform fee = 280.00 a month; the seats are the largest item's;
    # a metered item bills usage in arrears: no MRR from it
    row = versions(sub([("price_m", 5), ("price_fee", 1), ("price_metered", 0)]))[0]
    assert row[2:6] == (5, 5000, 28000, "month")
    # metered only: nothing recurring, no versions
    assert versions(sub([("price_metered", 0)])) == []


def test_tiered_prices() -> None:
    tiers = [
        {"up_to": 10, "unit_amount": 1000, "flat_amount": 0},
        {"up_to": "inf", "unit_amount": 800, "flat_amount": 5000},
    ]
    volume = price("price_v", None, billing_scheme="tiered", tiers_mode="volume", tiers=tiers)
    graduated = price("price_g", None, billing_scheme="tiered", tiers_mode="graduated", tiers=tiers)
    # volume: all 15 units at the second tier: 15 x 8.00 + 50.00 = 170.00
    assert price_amount(volume, 15) == 17000
    # graduated: 10 x 10.00 + 5 x 8.00 + 50.00 = 190.00
    assert price_amount(graduated, 15) == 19000
    state = item_state([(graduated, 15)], CATALOG)
    assert (state.quantity, state.recurring_amount) == (15, 19000)


def test_coupons() -> None:
    forever = {"coupon": CATALOG.coupons["pct_forever"], "end": None}
    assert versions(sub([("price_m", 2)], discounts=[forever]))[0][7] == "20"
    # once: one invoice only, not recurring revenue
    once = {"coupon": CATALOG.coupons["pct_once"], "end": None}
    assert versions(sub([("price_m", 2)], discounts=[once]))[0][7] is None
    # repeating 10.00 off until 10 April: 2 x 50.00 - 10.00 = 90.00 until then, 100.00 after
    repeating = {"coupon": "amt_repeating", "end": t(2026, 4, 10)}
    s = sub([("price_m", 2)], discounts=[repeating], period_start=t(2026, 1, 10), period_end=t(2026, 2, 10))
    inv = [invoice([line("price_m", 2, t(2026, 1, 10), t(2026, 2, 10))], t(2026, 1, 10), discounts=[repeating])]
    assert [(v[0], v[4]) for v in versions(s, inv)] == [("2026-01-10", 9000), ("2026-04-10", None)]


def test_discounts_named_by_id_are_resolved_from_the_expanded_ones() -> None:
    """The current API names discounts by id (`discounts: ["di_..."]`) unless expanded, and a discount cannot be
    fetched by id: an event's subscription carries ids only. The expanded discount of the subscription read
    resolves the event's; an id never seen expanded counts as no discount."""
    catalog = Catalog(CATALOG.prices, CATALOG.products, CATALOG.coupons)
    expanded = {"id": "di_1", "object": "discount", "coupon": CATALOG.coupons["pct_forever"], "end": None}
    catalog.learn_discounts([sub([("price_m", 2)], discounts=[expanded])])
    # 10 March: 2 seats -> 3 seats, seen only in its event (ids, not objects, in the event's subscription)
    event = {
        "id": "evt_1",
        "type": "customer.subscription.updated",
        "created": t(2026, 3, 10),
        "data": {"object": sub([("price_m", 3)], discounts=["di_1"])},
    }
    current = sub([("price_m", 3)], discounts=[expanded])
    billed = [invoice([line("price_m", 2, t(2026, 1, 10), t(2026, 2, 10))], t(2026, 1, 10), discounts=["di_1"])]
    rows = subscription_versions(current, billed, [event], catalog, "ACC-1", now=NOW)
    got = [(r["effective_at"][:10], r["quantity"], r["discount_percent"]) for r in rows]
    assert got == [("2026-01-10", 2, "20"), ("2026-03-10", 3, "20")]
    unseen = {**event, "data": {"object": sub([("price_m", 3)], discounts=["di_unseen"])}}
    rows = subscription_versions(sub([("price_m", 3)]), [], [unseen], catalog, "ACC-1", now=NOW)
    assert rows[-1]["discount_percent"] is None


def test_trials_and_cancellations() -> None:
    # trial 1-15 Jan, then active
    trial = sub([("price_m", 1)], start_date=t(2026, 1, 1), trial_start=t(2026, 1, 1), trial_end=t(2026, 1, 15))
    assert [v[:2] for v in versions(trial)] == [("2026-01-01", "trialing"), ("2026-01-15", "active")]
    # still trialing: no active version yet
    trialing = dict(trial, status="trialing", trial_end=t(2026, 12, 1))
    assert [v[:2] for v in versions(trialing)] == [("2026-01-01", "trialing")]
    # cancel at period end: MRR until the period ends on 10 December, then canceled
    at_end = sub([("price_m", 1)], cancel_at_period_end=True, canceled_at=t(2026, 11, 12))
    assert [v[:2] for v in versions(at_end)] == [("2026-01-10", "active"), ("2026-12-10", "canceled")]
    # canceled now: ended_at
    ended = sub([("price_m", 1)], status="canceled", ended_at=t(2026, 6, 3), canceled_at=t(2026, 6, 3))
    assert [v[:2] for v in versions(ended)] == [("2026-01-10", "active"), ("2026-06-03", "canceled")]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("past_due", "active"),
        ("unpaid", "active"),
        ("paused", "canceled"),
        ("incomplete", None),
        ("incomplete_expired", None),
    ],
)
def test_statuses(status: str, expected: str | None) -> None:
    got = versions(sub([("price_m", 1)], status=status))
    assert (got[-1][1] if got else None) == expected


def test_paused_collection_earns_nothing() -> None:
    paused = sub([("price_m", 1)], pause_collection={"behavior": "void"}, period_start=t(2026, 11, 10))
    assert [v[:2] for v in versions(paused)] == [("2026-01-10", "active"), ("2026-11-10", "canceled")]


def test_history_from_invoice_lines_and_events() -> None:
    s = sub([("price_m", 8)], period_start=t(2026, 11, 10))
    invoices = [
        invoice([line("price_m", 5, t(2026, 1, 10), t(2026, 2, 10))], t(2026, 1, 10)),
        # a mid-period upgrade on 20 January, prorated: unused time of 5 seats, remaining time of 7
        invoice(
            [
                line("price_m", 5, t(2026, 1, 20), t(2026, 2, 10), proration=True, amount=-16129),
                line("price_m", 7, t(2026, 1, 20), t(2026, 2, 10), proration=True, amount=22581),
                line("price_m", 7, t(2026, 2, 10), t(2026, 3, 10)),
            ],
            t(2026, 2, 10),
        ),
        invoice([line("price_m", 7, t(2026, 3, 10), t(2026, 4, 10))], t(2026, 3, 10), status="draft"),
    ]
    # the change to 8 seats on 3 November is known from its event (Stripe keeps 30 days of them)
    event = {"type": "customer.subscription.updated", "created": t(2026, 11, 3), "data": {"object": s}}
    got = [(v[0], v[2]) for v in versions(s, invoices, [event])]
    assert got == [("2026-01-10", 5), ("2026-01-20", 7), ("2026-11-03", 8)]


def test_known_versions_keep_a_change_after_its_event_is_gone() -> None:
    # an earlier sync placed the seat change on 3 August by its event; the event is gone now, and the
    # invoices show the new seats only from the next period (10 August)
    s = sub([("price_m", 8)], period_start=t(2026, 11, 10))
    invoices = [
        invoice([line("price_m", 5, t(2026, 7, 10), t(2026, 8, 10))], t(2026, 7, 10)),
        invoice([line("price_m", 8, t(2026, 8, 10), t(2026, 9, 10))], t(2026, 8, 10)),
    ]
    known = [
        {"plan": "growth", "billing_interval": "month", "quantity": q, "unit_amount": 5000, "currency": "USD",
         "status": "active", "effective_at": datetime.fromtimestamp(at, UTC), "updated_at": datetime.fromtimestamp(at, UTC)}
        for q, at in ((5, t(2026, 1, 10)), (8, t(2026, 8, 3)))
    ]  # fmt: skip
    rows = subscription_versions(s, invoices, [], CATALOG, "ACC-1", known, NOW)
    assert [(r["effective_at"][:10], r["quantity"]) for r in rows] == [("2026-01-10", 5), ("2026-08-03", 8)]


def test_zero_decimal_currency_amounts_are_whole_yen() -> None:
    # JPY 3,000 a seat: 3000 in the contract's minor units (the currencies seed: 0 digits, factor 1)
    row = subscription_versions(sub([("price_jpy", 2)]), [], [], CATALOG, "ACC-1", now=NOW)[0]
    assert (row["currency"], row["unit_amount"], row["quantity"]) == ("JPY", 3000, 2)


def test_items_on_different_intervals_are_refused() -> None:
    with pytest.raises(StripeMappingError):
        item_state([(CATALOG.prices["price_m"], 1), (CATALOG.prices["price_y"], 1)], CATALOG)


def test_invoices_and_payments_in_the_current_api_shape() -> None:
    inv = invoice(
        [line("price_m", 2, t(2026, 3, 10), t(2026, 4, 10))],
        t(2026, 3, 10),
        subtotal=10000,
        total=11900,
        total_taxes=[{"amount": 1900}],
        amount_paid=11900,
        due_date=None,
        status_transitions={"finalized_at": t(2026, 3, 10), "paid_at": t(2026, 3, 12)},
    )
    row = invoice_row(inv, "ACC-1")
    assert (row["subscription_id"], row["invoice_type"], row["subtotal"], row["tax"], row["total"]) == (
        "sub_1",
        "recurring",
        10000,
        1900,
        11900,
    )
    assert (row["issued_at"], row["paid_at"], row["updated_at"]) == (
        "2026-03-10T00:00:00Z",
        "2026-03-12T00:00:00Z",
        "2026-03-12T00:00:00Z",
    )
    assert invoice_row(dict(inv, status="draft"), "ACC-1") is None
    # the current API's charges no longer name their invoice: a paid invoice is its own payment
    pay = paid_invoice_payment_row(inv, "ACC-1")
    assert (pay["amount"], pay["status"], pay["created_at"]) == (11900, "succeeded", "2026-03-12T00:00:00Z")
