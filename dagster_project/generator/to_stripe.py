"""Write billing histories into a Stripe account through the official SDK (the Stripe sample writer).

Everything goes through Stripe's public API as a Stripe user's integration would do it: products and
plans, customers with `metadata.account_id` and a card, subscriptions (with a coupon for the sample's
discounts, passed as the current API's `discounts`) created and changed at the moment they happen. Time moves with a test clock (`test_helpers.test_clocks`): against localstripe
(`devtools/stripe_server.py`) one clock for the server; against Stripe's test mode, the same calls.

`write_sample_billing` replays the sample's subscription histories (`billing/subscriptions` of a
landing folder) in time order, so that `make run-stripe` builds the sample's billing from Stripe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import stripe

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}


def _ts(at: datetime) -> int:
    return int(at.timestamp())


class StripeWriter:
    """A Stripe account being filled, with its clock."""

    def __init__(self, api_key: str, api_base: str | None, start: datetime) -> None:
        self.client = stripe.StripeClient(api_key, base_addresses={"api": api_base} if api_base else None)
        self.clock = self.client.v1.test_helpers.test_clocks.create(params={"frozen_time": _ts(start)}).id
        self.now = start
        self.products: dict[str, str] = {}
        self.plans: dict[tuple[str, str, int, str, int], str] = {}
        self.coupons: set[str] = set()

    def advance(self, to: datetime) -> None:
        if to > self.now:
            self.client.v1.test_helpers.test_clocks.advance(self.clock, params={"frozen_time": _ts(to)})
            self.now = to

    def plan(self, tier: str, currency: str, unit_amount: int, interval: str = "month", count: int = 1) -> str:
        """A plan (localstripe has plans, not prices) for a tier, currency, amount and interval."""
        key = (tier, currency.lower(), unit_amount, interval, count)
        if key not in self.plans:
            if tier not in self.products:
                self.products[tier] = self.client.v1.products.create(
                    params={"name": tier.title(), "metadata": {"plan": tier}}
                ).id
            plan_id = f"{tier}-{currency.lower()}-{unit_amount}-{interval}-{count}"
            self.client.v1.plans.create(
                params={
                    "id": plan_id,
                    "product": self.products[tier],
                    "amount": unit_amount,
                    "currency": currency.lower(),
                    "interval": interval,
                    "interval_count": count,
                }
            )
            self.plans[key] = plan_id
        return self.plans[key]

    def customer(self, account_id: str, name: str | None = None) -> str:
        method = self.client.v1.payment_methods.create(params={"type": "card", "card": CARD})
        customer = self.client.v1.customers.create(
            params={"name": name or account_id, "metadata": {"account_id": account_id}}
        )
        self.client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
        self.client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": method.id}})
        return customer.id

    def subscribe(
        self,
        at: datetime,
        customer: str,
        plan: str,
        quantity: int,
        trial_end: datetime | None = None,
        percent_off: Decimal | None = None,
    ) -> str:
        """A subscription from `at`; `percent_off`: a forever coupon on it (the sample's discounts last)."""
        self.advance(at)
        params: dict[str, Any] = {"customer": customer, "items": [{"plan": plan, "quantity": quantity}]}
        if trial_end is not None:
            params["trial_end"] = _ts(trial_end)
        if percent_off:
            params["discounts"] = [{"coupon": self.coupon(percent_off)}]
        return self.client.v1.subscriptions.create(params=params).id

    def coupon(self, percent_off: Decimal) -> str:
        coupon_id = f"csw-{percent_off.normalize():f}-off"
        if coupon_id not in self.coupons:
            self.client.v1.coupons.create(
                params={"id": coupon_id, "percent_off": str(percent_off), "duration": "forever"}
            )
            self.coupons.add(coupon_id)
        return coupon_id

    def change(self, at: datetime, subscription: str, plan: str, quantity: int) -> None:
        self.advance(at)
        sub = self.client.v1.subscriptions.retrieve(subscription)
        item = sub.to_dict()["items"]["data"][0]["id"]
        self.client.v1.subscriptions.update(
            subscription, params={"items": [{"id": item, "plan": plan, "quantity": quantity}]}
        )

    def cancel(self, at: datetime, subscription: str, at_period_end: bool = False) -> None:
        self.advance(at)
        if at_period_end:
            self.client.v1.subscriptions.update(subscription, params={"cancel_at_period_end": True})
        else:
            self.client.v1.subscriptions.cancel(subscription)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def sample_versions(landing: Path) -> list[dict[str, str]]:
    """The sample's subscription versions (latest copy of each, deletions left out), oldest first."""
    latest: dict[tuple[str, str], dict[str, str]] = {}
    for path in sorted((landing / "billing" / "subscriptions").glob("*/*.csv")):
        with path.open() as fh:
            for row in csv.DictReader(fh):
                key = (row["subscription_id"], row["effective_at"])
                if key not in latest or row["updated_at"] >= latest[key]["updated_at"]:
                    latest[key] = row
    rows = [r for r in latest.values() if r.get("is_deleted", "").lower() not in ("true", "1", "t")]
    return sorted(rows, key=lambda r: (_parse(r["effective_at"]), r["subscription_id"]))


def write_sample_billing(writer: StripeWriter, versions: Iterable[dict[str, str]], until: datetime) -> dict[str, str]:
    """Replay subscription versions through the API in time order; return sample id -> Stripe id."""
    customers: dict[str, str] = {}
    subs: dict[str, str] = {}
    for row in versions:
        at = _parse(row["effective_at"])
        if at >= until:
            continue
        interval = row["billing_interval"]
        plan = writer.plan(row["plan"], row["currency"], int(row["unit_amount"]), interval)
        quantity = int(row["quantity"])
        sid = row["subscription_id"]
        if sid not in subs:
            account = row["account_id"]
            if account not in customers:
                writer.advance(at)
                customers[account] = writer.customer(account)
            trial_end = _parse(row["trial_end_at"]) if row["status"] == "trialing" and row["trial_end_at"] else None
            if row["status"] == "canceled":
                continue
            percent = Decimal(row["discount_percent"]) if row.get("discount_percent") else None
            subs[sid] = writer.subscribe(at, customers[account], plan, quantity, trial_end, percent)
        elif row["status"] == "canceled":
            writer.cancel(at, subs[sid])
        elif row["status"] == "active":
            writer.change(at, subs[sid], plan, quantity)
    writer.advance(until)
    return subs


def main(argv: list[str] | None = None) -> None:
    """`python -m dagster_project.generator.to_stripe`: the sample's billing into a Stripe (test) account."""
    import argparse
    import os
    import shutil

    parser = argparse.ArgumentParser(
        description="Write the subscription histories of a landing folder into Stripe through the SDK (a test "
        "clock moves time), then move the landing folder's billing files aside so that billing comes from Stripe.",
    )
    parser.add_argument("--landing", type=Path, required=True, help="the landing folder (csw generate --out)")
    parser.add_argument("--until", required=True, help="write what happened before this date (YYYY-MM-DD)")
    parser.add_argument("--api-base", default=None, help="a server speaking Stripe's API (default: Stripe's)")
    args = parser.parse_args(argv)
    key = os.environ.get("CSW_STRIPE_API_KEY")
    if not key or not key.startswith("sk_test_"):
        parser.error("set CSW_STRIPE_API_KEY to a test-mode secret key (sk_test_...): this writes into the account")
    versions = sample_versions(args.landing)
    if not versions:
        parser.error(f"{args.landing}/billing/subscriptions holds no subscription versions")
    until = datetime.fromisoformat(args.until).replace(tzinfo=UTC)
    writer = StripeWriter(key, args.api_base, _parse(versions[0]["effective_at"]))
    subs = write_sample_billing(writer, versions, until)
    aside = args.landing.parent / "billing-files-replaced-by-stripe"
    shutil.rmtree(aside, ignore_errors=True)
    shutil.move(str(args.landing / "billing"), aside)
    print(f"{len(subs)} subscriptions written to Stripe; the billing files moved to {aside}")


if __name__ == "__main__":
    main()
