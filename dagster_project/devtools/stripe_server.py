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

    original_init = resources.Subscription.__init__

    def subscription_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.trial_end is not None and self.trial_end > int(CLOCK.time()) and self.status == "incomplete":
            self.status = "trialing"  # localstripe leaves a subscription in trial `incomplete`
            self.trial_start = self.start_date
            self._anchor = self.trial_end

    resources.Subscription.__init__ = subscription_init

    original_update = resources.Subscription._update

    def subscription_update(self: Any, **data: Any) -> None:
        # localstripe sends no event for a change; Stripe sends customer.subscription.updated
        original_update(self, **data)
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


def advance(resources: Any, target: int) -> None:
    """Move the clock to `target`, through every period boundary of every live subscription, in time order."""
    if CLOCK.frozen is None or target < CLOCK.frozen:
        raise resources.UserError(400, "a test clock only moves forward")
    queue: list[tuple[int, str]] = []
    for key, obj in list(resources.store.items()):
        if key.startswith("subscription:") and obj.status in ("active", "trialing", "past_due", "unpaid"):
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
