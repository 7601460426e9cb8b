"""localstripe (a fake Stripe API server from PyPI) with the time travel a billing history needs.

localstripe keeps objects as Stripe does and serves them through Stripe's API, but it has no notion of
time passing: a subscription's current period never moves on, no renewal is ever invoiced, a trial
never ends. Real Stripe offers test clocks for exactly this (`POST /v1/test_helpers/test_clocks`,
`.../advance`); this module adds them, with one clock for the whole server:

- every time localstripe reads (`created`, `start_date`, invoice dates, `ended_at`) comes from the clock;
- a subscription's current period is the period of its billing cycle that holds the clock's time;
- a subscription's change sends `customer.subscription.updated`, as Stripe does (localstripe sends none);
- advancing the clock walks through each period boundary in time order and does what Stripe does there:
  ends a trial (invoice, `active`), renews (an invoice for the new period, paid from the default card),
  or ends a subscription set to cancel at period end (`canceled`, `ended_at`, an event).

- a subscription takes the current API's `discounts=[{"coupon": ...}]`: it names its discounts by id
  (`expand[]=discounts` gives the objects) and its invoices take them off the total;
- a change is prorated as Stripe does it (two lines from the change to the period's end: the unused time
  of the old plan and quantity, the remaining time of the new), not as localstripe does (a credit of the
  whole subtotal of every earlier invoice, which turns positive after a second change).

It also turns off localstripe's dump of its whole store to disk on every write (quadratic in the
number of objects). Nothing else of localstripe is changed.

    python -m dagster_project.devtools.stripe_server --port 8420   # what the tests and `make run-stripe` start
"""

from __future__ import annotations

import argparse
import heapq
import time as _real_time
from datetime import UTC, datetime
from typing import Any

from dateutil.relativedelta import relativedelta


class Clock:
    """The server's time: real time until a test clock freezes it."""

    def __init__(self) -> None:
        self.frozen: int | None = None

    def time(self) -> float:
        return float(self.frozen) if self.frozen is not None else _real_time.time()


CLOCK = Clock()
STEP = {"day": relativedelta(days=1), "week": relativedelta(weeks=1), "month": relativedelta(months=1)}
STEP["year"] = relativedelta(years=1)


def _boundaries(anchor: int, interval: str, count: int):
    start = datetime.fromtimestamp(anchor, UTC)
    k = 0
    while True:
        yield int((start + STEP[interval] * (k * count)).timestamp())
        k += 1


def install() -> Any:
    """Patch localstripe in this process; return its aiohttp app."""
    from localstripe import resources, server

    resources.time = CLOCK  # the module's `time.time()` reads the clock
    resources.Store.dump_to_disk = lambda self: None
    _index_store(resources)

    def current_period(self: Any) -> dict[str, int]:
        sub = resources.Subscription._api_retrieve(self._subscription) if self._subscription else None
        now = int(CLOCK.time())
        anchor = (sub and (getattr(sub, "_anchor", None) or sub.start_date)) or now
        count = int(self.plan.interval_count or 1)
        previous = anchor
        for boundary in _boundaries(anchor, self.plan.interval, count):
            if boundary > now:
                return {"start": previous, "end": boundary}
            previous = boundary
        raise AssertionError("unreachable")

    resources.SubscriptionItem._current_period = current_period

    class Discount(resources.StripeObject):
        """Stripe's discount: a coupon applied to a subscription (localstripe has coupons, no discounts)."""

        object = "discount"
        _id_prefix = "di_"

        def __init__(self, coupon: Any, customer: Any) -> None:
            super().__init__()
            self.coupon, self.customer, self.subscription = coupon, customer, None
            self.start = int(CLOCK.time())
            months = coupon.duration_in_months if coupon.duration == "repeating" else None
            self.end = (
                int((datetime.fromtimestamp(self.start, UTC) + relativedelta(months=months)).timestamp())
                if months
                else None
            )
            self.invoice = self.invoice_item = self.promotion_code = self.checkout_session = None

    original_export = resources.StripeObject._export

    def export(self: Any, expand: Any = None) -> Any:
        # localstripe expands a single id, not a list of ids such as `discounts`
        out = original_export(self, expand=expand)
        for path in expand or []:
            _expand_id_list(resources, out, path.split("."))
        return out

    resources.StripeObject._export = export
    items_list = resources.InvoiceItem._api_list_all.__func__

    def pending_items(cls: Any, url: Any, pending: Any = None, **kwargs: Any) -> Any:
        return items_list(cls, url, **kwargs)  # localstripe lists only pending items; Stripe's `pending=true`

    resources.InvoiceItem._api_list_all = classmethod(pending_items)
    original_init = resources.Subscription.__init__

    def subscription_init(self: Any, *args: Any, discounts: Any = None, **kwargs: Any) -> None:
        # the current API's `discounts=[{coupon}]` (localstripe knows neither it nor a discount): the
        # subscription names its discounts by id, expanded on request, and its invoices take them off
        self.discounts = [
            Discount(resources.Coupon._api_retrieve(d["coupon"]), kwargs.get("customer")).id
            for d in discounts or []
            if isinstance(d, dict) and d.get("coupon")
        ]
        original_init(self, *args, **kwargs)
        for discount in self.discounts:
            resources.store["discount:" + discount].subscription = self.id
        if self.trial_end is not None and self.trial_end > int(CLOCK.time()) and self.status == "incomplete":
            self.status = "trialing"  # localstripe leaves a subscription in trial `incomplete`
            self.trial_start = self.start_date
            self._anchor = self.trial_end

    resources.Subscription.__init__ = subscription_init

    original_invoice_init = resources.Invoice.__init__

    def invoice_init(self: Any, *args: Any, **kwargs: Any) -> None:
        sub_id = kwargs.get("subscription")
        sub = resources.store.get("subscription:" + sub_id) if sub_id else None
        self.discounts = list(getattr(sub, "discounts", None) or [])
        original_invoice_init(self, *args, **kwargs)

    def discount_amount(self: Any) -> int:
        """What the discounts take off the subtotal (Stripe: percent of it, or an amount up to it)."""
        off = 0
        for discount_id in getattr(self, "discounts", None) or []:
            discount = resources.store["discount:" + discount_id]
            if discount.end is not None and discount.end <= self.date:
                continue
            coupon = discount.coupon
            left = self.subtotal - off
            off += (
                round(left * coupon.percent_off / 100)
                if coupon.percent_off is not None
                else min(coupon.amount_off, left)
            )
        return max(off, 0)

    resources.Invoice.__init__ = invoice_init
    resources.Invoice.total = property(
        lambda self: max(0, self.subtotal - discount_amount(self) + self.tax - self.starting_balance)
    )
    resources.Invoice.total_discount_amounts = property(
        lambda self: [
            {"amount": discount_amount(self), "discount": d} for d in (getattr(self, "discounts", None) or [])[:1]
        ]
    )

    original_update = resources.Subscription._update

    def subscription_update(self: Any, **data: Any) -> None:
        old = self.items._list[0]
        old_plan, old_quantity, period = old.plan, old.quantity, old._current_period()
        pending = set(resources.store_by_type.get("invoiceitem", {}))
        original_update(self, **data)
        new = self.items._list[0]
        if new is not old:
            _stripe_prorations(resources, self, pending, (old_plan, old_quantity), (new.plan, new.quantity), period)
        # localstripe sends no event for a change; Stripe sends customer.subscription.updated
        resources.schedule_webhook(resources.Event("customer.subscription.updated", self))

    resources.Subscription._update = subscription_update

    def create_clock(frozen_time: Any = None, name: Any = None, **_: Any) -> Any:
        CLOCK.frozen = int(frozen_time)
        return _ClockObject(name)

    def advance_clock(id: str, frozen_time: Any = None, **_: Any) -> Any:  # noqa: A002 (Stripe's name)
        advance(resources, int(frozen_time))
        return _ClockObject(None, id)

    class _ClockObject:
        def __init__(self, name: Any, id: str = "clock_csw") -> None:  # noqa: A002
            self.id, self.name = id, name

        def _export(self, expand: Any = None) -> dict:
            return {"id": self.id, "object": "test_helpers.test_clock", "frozen_time": CLOCK.frozen,
                    "name": self.name, "status": "ready"}  # fmt: skip

    server.app.router.add_route(
        "POST", "/v1/test_helpers/test_clocks/{id}/advance", server.api_extra(advance_clock, "")
    )
    server.app.router.add_route("POST", "/v1/test_helpers/test_clocks", server.api_extra(create_clock, ""))
    return server.app


def _stripe_prorations(
    resources: Any, sub: Any, pending: set[str], old: tuple[Any, int], new: tuple[Any, int], period: dict
) -> None:
    """Replace localstripe's proration of a change by Stripe's.

    localstripe credits the whole subtotal of every earlier invoice of the subscription ("Unused time",
    quantity 1): after a second change the credit of a credit is a positive line. Stripe bills two lines
    dated from the change to the end of the current period: the unused time of the old plan and quantity
    (negative) and the remaining time of the new ones (positive), each with its plan and quantity.
    """
    for key in [k for k in resources.store_by_type.get("invoiceitem", {}) if k not in pending]:
        item = resources.store[key]
        if item.subscription == sub.id and item.description == "Unused time":
            del resources.store[key]
    now = int(CLOCK.time())
    start, end = int(period["start"]), int(period["end"])
    if not start <= now < end:
        return
    fraction = (end - now) / (end - start)
    for (plan, quantity), sign, words in ((old, -1, "Unused time on"), (new, 1, "Remaining time on")):
        item = resources.InvoiceItem(
            amount=sign * round(int(plan.amount) * int(quantity) * fraction),
            currency=plan.currency,
            proration=True,
            description=f"{words} {quantity} x {plan.name or plan.id} after {now}",
            subscription=sub.id,
            plan=plan.id,
            customer=sub.customer,
            period_start=now,
            period_end=end,
        )
        item.quantity = int(quantity)


def _index_store(resources: Any) -> None:
    """Keep the store's objects by type: localstripe lists a type by scanning the whole store, once per page
    and once per invoice (for pending items), which is quadratic in the objects held (hours at 5,000
    customers)."""
    by_type: dict[str, dict[str, Any]] = {}

    def setitem(self: Any, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        by_type.setdefault(key.split(":", 1)[0], {})[key] = value

    def delitem(self: Any, key: str) -> None:
        dict.__delitem__(self, key)
        by_type.get(key.split(":", 1)[0], {}).pop(key, None)

    def list_all(cls: Any, url: Any, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            raise resources.UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        found = resources.List(url, limit=limit, starting_after=starting_after)
        found._list = list(by_type.get(cls.object, {}).values())  # insertion order, as the store's
        return found

    resources.Store.__setitem__ = setitem
    resources.Store.__delitem__ = delitem
    resources.StripeObject._api_list_all = classmethod(list_all)
    resources.store_by_type = by_type


def _expand_id_list(resources: Any, obj: Any, path: list[str]) -> None:
    if isinstance(obj, list):
        for item in obj:
            _expand_id_list(resources, item, path)
        return
    if not isinstance(obj, dict) or path[0] not in obj:
        return
    if len(path) > 1:
        _expand_id_list(resources, obj[path[0]], path[1:])
    elif isinstance(obj[path[0]], list):
        obj[path[0]] = [
            resources.store[f"discount:{v}"]._export() if isinstance(v, str) and v.startswith("di_") else v
            for v in obj[path[0]]
        ]


def advance(resources: Any, target: int) -> None:
    """Move the clock to `target`, through every period boundary of every live subscription, in time order."""
    if CLOCK.frozen is None or target < CLOCK.frozen:
        raise resources.UserError(400, "a test clock only moves forward")
    queue: list[tuple[int, str]] = []
    for obj in list(resources.store_by_type.get("subscription", {}).values()):
        if obj.status in ("active", "trialing", "past_due", "unpaid"):
            boundary = _next_boundary(obj)
            if boundary is not None and boundary <= target:
                heapq.heappush(queue, (boundary, obj.id))
    while queue:
        at, sub_id = heapq.heappop(queue)
        sub = resources.Subscription._api_retrieve(sub_id)
        CLOCK.frozen = at
        ends_now = sub.cancel_at_period_end or (sub.cancel_at is not None and sub.cancel_at <= at)
        if ends_now:
            resources.Subscription._api_delete(sub_id)
            continue
        if sub.status == "trialing":
            sub.status = "incomplete"
            sub._create_invoice()  # ends `active` once paid
        else:
            sub._create_invoice()
        nxt = _next_boundary(sub)
        if nxt is not None and nxt <= target and sub.status != "canceled":
            heapq.heappush(queue, (nxt, sub_id))
    CLOCK.frozen = target


def _next_boundary(sub: Any) -> int | None:
    if sub.status == "trialing" and sub.trial_end:
        return int(sub.trial_end) if sub.trial_end > CLOCK.frozen else None
    item = sub.items._list[0]
    return item._current_period()["end"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    from aiohttp import web

    web.run_app(install(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
