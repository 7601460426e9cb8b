"""Simulate one SaaS company's customers, account by account.

Each account gets a fate (stable, expander, contractor, churner, churner that
comes back) and the source systems record what such a customer really leaves
behind: churners' logins and feature use fall and their tickets rise for weeks
before they cancel, their champion often leaves and their NPS turns detractor;
expanders fill their seats before they buy more. Not every churner fades
(issue 30, from data shaped elsewhere): some cut their seats twice on a budget
and then leave, some never adopt beyond one or two core features and leave at
their first renewal, some react to a price rise with billing tickets and ever
later payments; and some accounts that keep paying look like them for a while
(a seasonal dip, a seat clean-up, a price rise they accept, a narrow adoption).
Every account draws from its own random stream seeded by (seed, account index),
the behaviours from a second one, so the output does not depend on processing
order and is the same bytes for the same seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from dagster_project.generator.landing import LandingWriter, fmt_ts

UTC = UTC
REGION_WEIGHTS = {"NA": 0.45, "EMEA": 0.35, "APAC": 0.15, "LATAM": 0.05}
# Fixed offsets (minutes) the support desk, survey tool and CS platform write in.
REGION_OFFSET = {"NA": -300, "EMEA": 60, "APAC": 540, "LATAM": -180}
TAX_RATE = {"NA": 0.0, "EMEA": 0.20, "APAC": 0.10, "LATAM": 0.0}
INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Retail", "Manufacturing", "Education", "Media")
EMPLOYEE_BANDS = ("1-50", "51-200", "201-1000", "1000+")
# list price per seat per month, minor units
PRICES = {
    "USD": {"starter": 2500, "growth": 5000, "enterprise": 10000},
    "EUR": {"starter": 2300, "growth": 4600, "enterprise": 9200},
    "GBP": {"starter": 2000, "growth": 4000, "enterprise": 8000},
}
SEAT_RANGE = {"starter": (3, 20), "growth": (8, 60), "enterprise": (30, 200)}
FEATURES = (
    # name, category, is_core
    ("dashboard_view", "reporting", True),
    ("report_export", "reporting", True),
    ("alert_create", "monitoring", True),
    ("integration_sync", "integrations", True),
    ("workflow_run", "automation", True),
    ("user_invite", "admin", True),
    ("search", "navigation", False),
    ("comment_add", "collaboration", False),
    ("settings_update", "admin", False),
    ("api_call", "integrations", False),
)
CORE = [f[0] for f in FEATURES if f[2]]
NON_CORE = [f[0] for f in FEATURES if not f[2]]
FIRST_NAMES = ("Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Edsger", "Frances", "Donald")
LAST_NAMES = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
)
COURSES = ("admin_basics", "reporting_101", "automation_advanced", "integrations_setup")


def _dt(d: date, seconds: float = 0.0) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(seconds=seconds)


@dataclass
class Version:
    effective: datetime
    plan: str
    quantity: int
    status: str  # trialing / active / canceled
    price_factor: float = 1.0  # a price rise on the list price (issue 30's price-rise behaviour)


@dataclass
class Subscription:
    subscription_id: str
    started: datetime
    interval: str
    currency: str
    discount: float
    versions: list[Version] = field(default_factory=list)

    def unit_amount(self, plan: str, price_factor: float = 1.0) -> int:
        monthly = int(round(PRICES[self.currency][plan] * price_factor))
        return monthly * 12 if self.interval == "year" else monthly

    @property
    def ended(self) -> datetime | None:
        last = self.versions[-1]
        return last.effective if last.status == "canceled" else None


class AccountSimulator:
    """Writes one account's records to the landing writer."""

    def __init__(self, idx: int, seed: int, window_start: date, horizon: date, csm_ids: list[str], out: LandingWriter):
        self.idx = idx
        self.rng = random.Random(f"{seed}:{idx}")
        # the behaviours of issue 30 draw from their own stream: an account without one keeps every draw it had
        self.brng = random.Random(f"{seed}:{idx}:behaviour")
        self.np = np.random.default_rng([seed, idx])
        self.window_start = _dt(window_start)
        self.end = _dt(horizon)  # simulated until here; the writer keeps only what landed before the as-of date
        self.out = out
        self.csm_ids = csm_ids
        self.account_id = f"ACC-{idx + 1:06d}"
        self._n = 0

    # -- helpers ----------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self.idx + 1:06d}-{self._n:05d}"

    def _emit(self, table: str, row: dict, written_at: datetime) -> None:
        """Emit a record version; some arrive late, some arrive twice."""
        r = self.rng.random()
        landed = written_at
        if r < 0.02:
            landed = written_at + timedelta(days=self.rng.randint(3, 25))  # late-arriving
        self.out.emit(table, row, landed)
        if self.rng.random() < 0.01:
            self.out.emit(table, row, landed + timedelta(days=self.rng.randint(0, 10)))  # duplicate

    def _rand_between(self, a: datetime, b: datetime) -> datetime:
        span = max((b - a).total_seconds(), 0.0)
        return a + timedelta(seconds=int(self.rng.random() * span))

    # -- the account's life -------------------------------------------------------
    def run(self) -> None:
        rng = self.rng
        self.region = rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()))[0]
        self.offset = REGION_OFFSET[self.region]
        if self.region == "EMEA":
            self.currency = "EUR" if rng.random() < 0.7 else "GBP"
        else:
            self.currency = "USD"
        span_days = (self.end - self.window_start).days
        if rng.random() < 0.35:
            self.created = self.window_start + timedelta(days=rng.randint(0, 20), seconds=rng.randint(0, 86399))
        else:
            self.created = self.window_start + timedelta(
                days=rng.randint(0, max(span_days - 25, 1)), seconds=rng.randint(0, 86399)
            )
        self.csm_id = rng.choice(self.csm_ids)

        self._plan_subscriptions()
        self._accounts()
        self._contacts()
        self._users_and_events()
        self._tickets()
        self._billing_tickets()
        self._invoices()
        self._nps()
        self._meetings_trainings_emails()

    def _plan_subscriptions(self) -> None:
        rng = self.rng
        plan = rng.choices(["starter", "growth", "enterprise"], weights=[0.5, 0.35, 0.15])[0]
        lo, hi = SEAT_RANGE[plan]
        seats = int(min(hi, max(lo, round(lo * (hi / lo) ** rng.random()))))
        interval = "year" if rng.random() < 0.35 else "month"
        discount = 10.0 if interval == "year" else (rng.choice([5.0, 15.0, 20.0]) if rng.random() < 0.2 else 0.0)
        start = self.created + timedelta(days=rng.randint(0, 3))
        sub = Subscription(self._id("SUB"), start, interval, self.currency, discount)
        if rng.random() < 0.4:
            sub.versions.append(Version(start, plan, seats, "trialing"))
            sub.versions.append(Version(start + timedelta(days=14), plan, seats, "active"))
        else:
            sub.versions.append(Version(start, plan, seats, "active"))
        self.subs = [sub]
        self.fate = "stable"
        self.churn_at: datetime | None = None
        self.expansions: list[datetime] = []
        life_days = (self.end - start).days
        r = rng.random()
        if r < 0.2 and life_days > 120:
            pick = start + timedelta(days=rng.randint(100, life_days - 3))
            if interval == "year":
                years = (pick - start).days // 365
                pick = start + timedelta(days=365 * years) if years >= 1 else None
            if pick is not None and pick < self.end:
                self.fate = "churner"
                self.churn_at = pick
        elif r < 0.5 and life_days > 90:
            self.fate = "expander"
            n = 1 if rng.random() < 0.6 else 2
            self.expansions = sorted(start + timedelta(days=rng.randint(60, life_days - 1)) for _ in range(n))
        elif r < 0.62 and life_days > 90:
            self.fate = "contractor"

        cuts = self._plan_behaviour(sub, start, life_days)

        def current() -> Version:
            return sub.versions[-1]

        for when in self.expansions:
            v = current()
            new_plan = v.plan
            if v.plan != "enterprise" and rng.random() < 0.3:
                new_plan = "growth" if v.plan == "starter" else "enterprise"
            new_q = max(v.quantity + 1, int(v.quantity * rng.uniform(1.2, 1.8)))
            sub.versions.append(Version(when, new_plan, new_q, "active"))
        if self.fate == "contractor":
            # a seat clean-up: it removes seats nobody used, so the people using the product keep theirs
            when = start + timedelta(days=rng.randint(60, life_days - 1))
            v = current()
            sub.versions.append(Version(when, v.plan, max(1, int(v.quantity * rng.uniform(0.6, 0.85))), "active"))
            self.cleanups.append((when, v.quantity))
            if self.second_cleanup is not None and when + timedelta(days=self.second_cleanup) < self.end:
                # a second clean-up that keeps paying: the noise beside a budget cut
                self.cleanups.append((when + timedelta(days=self.second_cleanup), v.quantity))
                v = current()
                sub.versions.append(
                    Version(when + timedelta(days=self.second_cleanup), v.plan, max(1, int(v.quantity * 0.8)), "active")
                )
        for when in cuts:  # a budget cut, twice, before leaving
            v = current()
            sub.versions.append(Version(when, v.plan, max(1, int(v.quantity * self.brng.uniform(0.55, 0.8))), "active"))
        if self.churn_at is not None:
            sub.versions.append(
                Version(self.churn_at, current().plan, current().quantity, "canceled", current().price_factor)
            )
            if rng.random() < 0.3:
                back = self.churn_at + timedelta(days=rng.randint(90, 240))
                if back < self.end - timedelta(days=5):
                    self.fate = "reactivated"
                    sub2 = Subscription(self._id("SUB"), back, "month", self.currency, 0.0)
                    sub2.versions.append(Version(back, current().plan, max(1, int(current().quantity * 0.7)), "active"))
                    self.subs.append(sub2)
        self._apply_price_rise(sub)
        self.health = rng.uniform(0.35, 0.95)  # latent engagement
        self._emit_subscriptions()

    def _plan_behaviour(self, sub: Subscription, start: datetime, life_days: int) -> list[datetime]:
        """Issue 30's behaviours, from the account's second stream; returns the dates of a budget cut.

        A churner fades (the default: usage falls, tickets rise, the champion leaves), or cuts its seats
        twice (3-6 and 1-2.5 months before leaving), or never adopts beyond one or two core features and
        leaves at its first annual renewal, or meets a price rise 2.5-4.5 months before leaving with billing
        tickets and payments later every month. An account that keeps paying may look like them for a
        while: a usage dip of 3-5 weeks, a second seat clean-up, a price rise it accepts, a narrow adoption.
        """
        b = self.brng
        self.style = "fading"
        self.price_rise: datetime | None = None
        self.price_factor = 1.0
        self.dip: tuple[datetime, datetime] | None = None
        self.core_cap: int | None = None
        self.second_cleanup: int | None = None
        self.cleanups: list[tuple[datetime, int]] = []  # (when, the seats the users had before it)
        self.seat_use: float | None = None
        cuts: list[datetime] = []
        r = b.random()
        if self.churn_at is not None:
            if r < 0.2:
                first = self.churn_at - timedelta(days=b.randint(90, 180))
                second = self.churn_at - timedelta(days=b.randint(30, 75))
                if first > start + timedelta(days=45):
                    # a team that uses its seats loses some of them to a budget cut, twice
                    self.style, cuts, self.seat_use = "budget_cut", [first, second], b.uniform(0.85, 1.0)
            elif r < 0.4:
                renewal = start + timedelta(days=365)
                if renewal < self.end - timedelta(days=3):
                    # an annual contract that is not renewed
                    self.style, self.churn_at, self.core_cap = "plateau", renewal, b.choice([1, 2])
                    sub.interval, sub.discount = "year", 10.0
            elif r < 0.6:
                rise = self.churn_at - timedelta(days=b.randint(70, 130))
                if sub.interval == "month" and rise > start + timedelta(days=30):
                    self.style, self.price_rise, self.price_factor = "price_rise", rise, b.uniform(1.15, 1.35)
            return cuts
        if life_days > 120 and b.random() < 0.15:  # a seasonal dip
            begin = start + timedelta(days=b.randint(60, life_days - 30))
            self.dip = (begin, begin + timedelta(days=7 * b.randint(3, 5)))
        if self.fate == "contractor" and b.random() < 0.25:
            self.second_cleanup = b.randint(60, 150)
        if sub.interval == "month" and life_days > 200 and b.random() < 0.12:  # a price rise it accepts
            self.price_rise = start + timedelta(days=b.randint(90, life_days - 30))
            self.price_factor = b.uniform(1.1, 1.3)
        if b.random() < 0.08:
            self.core_cap = 2
        return cuts

    def _apply_price_rise(self, sub: Subscription) -> None:
        """A new version at the price rise (same plan and seats), and the new price on every later one."""
        if self.price_rise is None or self.price_rise >= self.end:
            return
        at = next((i for i, v in enumerate(sub.versions) if v.effective > self.price_rise), len(sub.versions))
        before = sub.versions[at - 1]
        if before.status != "active":
            self.price_rise = None
            return
        for v in sub.versions[at:]:
            v.price_factor = self.price_factor
        sub.versions.insert(at, Version(self.price_rise, before.plan, before.quantity, "active", self.price_factor))

    def _emit_subscriptions(self) -> None:
        for sub in self.subs:
            for v in sub.versions:
                if v.effective >= self.end:
                    continue
                trial_end = sub.versions[1].effective if sub.versions[0].status == "trialing" else None
                canceled_at = None
                if v.status == "canceled":
                    canceled_at = v.effective - timedelta(days=self.rng.randint(0, 30) if sub.interval == "year" else 0)
                # changes are keyed in a little after they take effect
                written = v.effective + timedelta(minutes=self.rng.randint(0, 600))
                row = {
                    "subscription_id": sub.subscription_id,
                    "account_id": self.account_id,
                    "plan": v.plan,
                    "billing_interval": sub.interval,
                    "quantity": v.quantity,
                    "unit_amount": sub.unit_amount(v.plan, v.price_factor),
                    "currency": sub.currency,
                    "discount_percent": f"{sub.discount:g}" if sub.discount else None,
                    "status": v.status,
                    "trial_end_at": fmt_ts(trial_end, 0) if trial_end else None,
                    "started_at": fmt_ts(sub.started, 0),
                    "effective_at": fmt_ts(v.effective, 0),
                    "canceled_at": fmt_ts(canceled_at, 0) if canceled_at else None,
                    "updated_at": fmt_ts(written, 0),
                    "is_deleted": False,
                }
                self._emit("billing__subscriptions", row, written)

    # seats and activity by day --------------------------------------------------
    def seats_on(self, t: datetime) -> int:
        for sub in reversed(self.subs):
            live = [v for v in sub.versions if v.effective <= t]
            if live and live[-1].status != "canceled":
                return live[-1].quantity
        return 0

    def _accounts(self) -> None:
        rng = self.rng
        industry = rng.choice(INDUSTRIES)
        row = {
            "account_id": self.account_id,
            "account_name": f"{rng.choice(('Nimbus', 'Vertex', 'Acme', 'Orbit', 'Helix', 'Quanta'))} {rng.choice(('Analytics', 'Labs', 'Systems', 'Group', 'Health', 'Retail'))} {self.idx + 1}",
            "industry": None if rng.random() < 0.1 else industry,
            "region": self.region,
            "employee_band": None if rng.random() < 0.15 else rng.choice(EMPLOYEE_BANDS),
            "csm_id": self.csm_id,
            "created_at": fmt_ts(self.created, 0),
            "updated_at": fmt_ts(self.created, 0),
            "is_deleted": False,
        }
        # the CRM record exists before billing does: its first version is never late
        self.out.emit("crm__accounts", row, self.created)
        if row["industry"] is None or rng.random() < 0.15:  # enrichment or CSM reassignment later
            when = self._rand_between(self.created, self.end)
            row = dict(row, industry=industry, csm_id=rng.choice(self.csm_ids), updated_at=fmt_ts(when, 0))
            self._emit("crm__accounts", row, when)

    def _contacts(self) -> None:
        rng = self.rng
        roles = ["champion", "admin"] + (["executive_sponsor"] if rng.random() < 0.7 else [])
        roles += ["user"] * rng.randint(1, 4)
        self.contacts: list[tuple[str, str]] = []
        self.champion_left: datetime | None = None
        for role in roles:
            cid = self._id("CON")
            self.contacts.append((cid, role))
            created = self.created + timedelta(days=rng.randint(0, 10))
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            row = {
                "contact_id": cid,
                "account_id": self.account_id,
                "full_name": name,
                "email": None if rng.random() < 0.05 else f"{name.split()[0].lower()}.{cid.lower()}@example.com",
                "role": role,
                "is_active": True,
                "created_at": fmt_ts(created, 0),
                "updated_at": fmt_ts(created, 0),
                "is_deleted": False,
            }
            if created >= self.end:
                continue
            self._emit("crm__contacts", row, created)
            left = None
            if role in ("champion", "executive_sponsor"):
                if self.churn_at is not None and rng.random() < (0.6 if self.style == "fading" else 0.1):
                    left = self.churn_at - timedelta(days=rng.randint(20, 50))
                elif rng.random() < 0.08:
                    left = self._rand_between(created, self.end)
            if left is not None and created < left < self.end:
                if role == "champion":
                    self.champion_left = left
                self._emit("crm__contacts", dict(row, is_active=False, updated_at=fmt_ts(left, 0)), left)
            elif role == "user" and rng.random() < 0.03:  # created by mistake, soft-deleted
                when = created + timedelta(days=rng.randint(1, 20))
                if when < self.end:
                    self._emit("crm__contacts", dict(row, is_deleted=True, updated_at=fmt_ts(when, 0)), when)

    def _activity_factor(self, days: np.ndarray) -> np.ndarray:
        """Per-day multiplier of each user's chance to be active."""
        f = np.full(days.shape, 1.0)
        if self.dip is not None:
            lo, hi = (np.datetime64(t.replace(tzinfo=None), "D") for t in self.dip)
            f = np.where((days >= lo) & (days < hi), 0.45, f)
        if self.churn_at is not None and self.style == "fading":
            decline_start = np.datetime64(self.churn_at.replace(tzinfo=None), "D") - np.timedelta64(42, "D")
            weeks = (days - decline_start).astype("int64") / 7.0
            f = np.where(weeks > 0, 0.45 ** np.clip(weeks, 0, None), f)
        return f

    def _users_and_events(self) -> None:
        rng, npr = self.rng, self.np
        start = np.datetime64(self.subs[0].started.replace(tzinfo=None), "D")
        end = np.datetime64(self.end.replace(tzinfo=None), "D")
        days = np.arange(start, end, dtype="datetime64[D]")
        if len(days) == 0:
            return
        seats = np.array([self.seats_on(_dt(d.astype(object)) + timedelta(hours=23)) for d in days])
        pool_frac = np.full(len(days), rng.uniform(0.5, 0.78))
        if self.seat_use is not None:
            pool_frac[:] = self.seat_use
        basis = seats.astype(float)
        for when, before in self.cleanups:  # after a clean-up the users are those of the seats before it
            basis[days >= np.datetime64(when.replace(tzinfo=None), "D")] = before
        p = np.full(len(days), 0.3 + 0.65 * self.health)
        for when in self.expansions:  # expanders fill their seats first
            w = np.datetime64(when.replace(tzinfo=None), "D")
            ramp = (days >= w - np.timedelta64(42, "D")) & (days < w)
            pool_frac[ramp] = 1.0
            p[ramp] = np.maximum(p[ramp], 0.9)
            pool_frac[days >= w] = rng.uniform(0.55, 0.75)
        p = p * self._activity_factor(days)
        pool = np.floor(basis * pool_frac + 0.5).astype(int)
        pool = np.minimum(pool, seats)
        weekday = ((days.astype("int64") + 3) % 7) < 5  # 1970-01-01 was a Thursday
        p = np.where(weekday, p, p * 0.08)

        # users: user k exists while the pool is larger than k
        max_pool = int(pool.max()) if len(pool) else 0
        for k in range(max_pool):
            present = pool > k
            idx = np.flatnonzero(present)
            first = idx[0]
            uid = f"USR-{self.idx + 1:06d}-{k + 1:04d}"
            created = _dt(days[first].astype(object), rng.randint(8 * 3600, 17 * 3600))
            row = {
                "user_id": uid,
                "account_id": self.account_id,
                "email": f"user{k + 1}@acc{self.idx + 1}.example",
                "created_at": fmt_ts(created, self.offset),
                "deactivated_at": None,
                "updated_at": fmt_ts(created, self.offset),
                "is_deleted": False,
            }
            self._emit("product__users", row, created)
            gaps = np.flatnonzero(np.diff(present.astype(int)) == -1)
            if len(gaps):
                off = _dt(days[gaps[0] + 1].astype(object), 3600)
                self._emit(
                    "product__users",
                    dict(row, deactivated_at=fmt_ts(off, self.offset), updated_at=fmt_ts(off, self.offset)),
                    off,
                )
                back = np.flatnonzero((np.arange(len(present)) > gaps[0]) & present)
                if len(back):
                    on = _dt(days[back[0]].astype(object), 3600)
                    self._emit("product__users", dict(row, deactivated_at=None, updated_at=fmt_ts(on, self.offset)), on)

        if max_pool == 0:
            return
        active = (npr.random((len(days), max_pool)) < p[:, None]) & (np.arange(max_pool)[None, :] < pool[:, None])
        d_idx, u_idx = np.nonzero(active)
        if len(d_idx) == 0:
            return
        n_feat = npr.poisson(0.2, size=len(d_idx))
        # per-account adoption of core features, shrinking in a churner's decline
        n_core = max(1, int(round(len(CORE) * min(1.0, 0.2 + self.health * 0.9))))
        if self.core_cap is not None:
            n_core = min(n_core, self.core_cap)
        adopted = list(npr.permutation(CORE)[:n_core]) + NON_CORE
        decline = self._activity_factor(days[d_idx]) < 0.5
        rep = 1 + n_feat
        ev_day = np.repeat(d_idx, rep)
        ev_user = np.repeat(u_idx, rep)
        is_login = np.zeros(len(ev_day), dtype=bool)
        is_login[np.concatenate(([0], np.cumsum(rep)[:-1]))] = True
        ev_decline = np.repeat(decline, rep)
        names_pool = np.array(adopted, dtype=object)
        pick = npr.integers(0, len(names_pool), size=len(ev_day))
        # in decline, users stick to the basics (non-core features) two times in three
        basic = ev_decline & (npr.random(len(ev_day)) < 0.67)
        pick = np.where(basic, npr.integers(n_core, len(names_pool), size=len(ev_day)), pick)
        names = np.where(is_login, "login", names_pool[pick])
        local_start = 8 * 3600 - self.offset * 60  # business hours in the account's time zone, as UTC
        secs = local_start + npr.integers(0, 10 * 3600, size=len(ev_day))
        occurred = days[ev_day].astype("datetime64[us]") + secs.astype("timedelta64[s]")
        order = np.lexsort((secs, ev_day))
        occurred, names, ev_user = occurred[order], names[order], ev_user[order]
        n = len(occurred)
        event_ids = np.char.add(f"EVT-{self.idx + 1:06d}-", np.char.zfill(np.arange(n).astype(str), 8)).astype(object)
        user_ids = np.char.add(f"USR-{self.idx + 1:06d}-", np.char.zfill((ev_user + 1).astype(str), 4)).astype(object)
        landed = occurred + np.timedelta64(3600, "s")
        late = npr.random(n) < 0.01
        landed = np.where(late, landed + (npr.integers(3, 20, size=n) * 86400).astype("timedelta64[s]"), landed)
        cols = {
            "event_id": event_ids,
            "account_id": np.full(n, self.account_id, dtype=object),
            "user_id": user_ids,
            "event_name": names.astype(object),
            "occurred_at": occurred,
        }
        self.out.emit_events(cols, landed)
        dup = npr.random(n) < 0.005
        if dup.any():
            self.out.emit_events({k: v[dup] for k, v in cols.items()}, landed[dup] + np.timedelta64(2, "D"))

    def _weeks(self) -> list[datetime]:
        weeks, t = [], self.subs[0].started
        while t < self.end:
            weeks.append(t)
            t += timedelta(days=7)
        return weeks

    def _in_decline(self, t: datetime, days: int = 42) -> bool:
        return (
            self.churn_at is not None
            and self.style == "fading"
            and self.churn_at - timedelta(days=days) <= t < self.churn_at
        )

    def _live(self, t: datetime) -> bool:
        return self.seats_on(t) > 0

    def _tickets(self) -> None:
        rng = self.rng
        base = 0.15 + self.seats_on(self.subs[0].versions[-1].effective) / 120
        for week in self._weeks():
            if not self._live(week):
                continue
            rate = base * (3.5 if self._in_decline(week) else 1.0)
            for _ in range(int(self.np.poisson(rate))):
                created = week + timedelta(seconds=rng.randint(0, 7 * 86400 - 1))
                if created >= self.end:
                    continue
                tid = self._id("TCK")
                priority = rng.choices(["low", "normal", "high", "urgent"], weights=[3, 5, 2, 0.5])[0]
                subject = (
                    None
                    if rng.random() < 0.1
                    else rng.choice(
                        ["Export fails", "Login issue", "Billing question", "Feature request", "Slow dashboard"]
                    )
                )
                row = self._ticket(tid, subject, priority, created)
                self._emit("support__tickets", row, created)
                solved = created + timedelta(hours=rng.uniform(1, 240))
                if solved >= self.end:
                    continue
                row = dict(row, status="solved", solved_at=fmt_ts(solved, -480), updated_at=fmt_ts(solved, -480))
                self._emit("support__tickets", row, solved)
                if rng.random() < 0.55:
                    rated = solved + timedelta(hours=rng.uniform(1, 48))
                    if rated < self.end:
                        good = 0.25 if self._in_decline(created) else 0.75
                        score = rng.choice([4, 5]) if rng.random() < good else rng.choice([1, 2, 3])
                        row = dict(row, csat_score=score, updated_at=fmt_ts(rated, -480))
                        self._emit("support__tickets", row, rated)
                if rng.random() < 0.01:  # spam, deleted after its last update
                    gone = solved + timedelta(days=3)
                    if gone < self.end:
                        self._emit("support__tickets", dict(row, is_deleted=True, updated_at=fmt_ts(gone, -480)), gone)

    def _ticket(self, ticket_id: str, subject: str | None, priority: str, created: datetime) -> dict:
        """A new ticket as the support desk writes it (its own time zone, UTC-8)."""
        return {
            "ticket_id": ticket_id,
            "account_id": self.account_id,
            "subject": subject,
            "priority": priority,
            "status": "new",
            "created_at": fmt_ts(created, -480),
            "solved_at": None,
            "csat_score": None,
            "updated_at": fmt_ts(created, -480),
            "is_deleted": False,
        }

    def _billing_tickets(self) -> None:
        """After a price rise: one to three billing tickets from a customer who leaves over it, at most one
        (three times in ten) from one who accepts it."""
        if self.price_rise is None or self.price_rise >= self.end:
            return
        b = self.brng
        n = b.randint(1, 3) if self.style == "price_rise" else int(b.random() < 0.3)
        for _ in range(n):
            created = self.price_rise + timedelta(days=b.uniform(3, 60))
            if created >= self.end or not self._live(created):
                continue
            tid = self._id("TCK")
            subject = b.choice(["Billing question", "Invoice amount changed", "Price increase"])
            row = self._ticket(tid, subject, b.choice(["normal", "high"]), created)
            self._emit("support__tickets", row, created)
            solved = created + timedelta(hours=b.uniform(2, 120))
            if solved < self.end:
                row = dict(row, status="solved", solved_at=fmt_ts(solved, -480), updated_at=fmt_ts(solved, -480))
                self._emit("support__tickets", row, solved)

    def _invoices(self) -> None:
        rng = self.rng
        tax_rate = TAX_RATE[self.region]
        if rng.random() < 0.3:  # one-off onboarding fee: never part of MRR
            issued = self.subs[0].started + timedelta(hours=1)
            self._invoice(None, "one_off", 150000 if self.currency != "GBP" else 120000, tax_rate, issued, late=False)
        for sub in self.subs:
            raised = 0
            t = next((v.effective for v in sub.versions if v.status == "active"), None)
            step = 365 if sub.interval == "year" else None
            while t is not None and t < self.end:
                live = [v for v in sub.versions if v.effective <= t]
                v = live[-1]
                if v.status == "canceled":
                    break
                subtotal = int(round(v.quantity * sub.unit_amount(v.plan, v.price_factor) * (1 - sub.discount / 100)))
                late = rng.random() < (0.45 if self._in_decline(t, 90) else 0.08)
                delay = None
                if self.style == "price_rise" and self.price_rise is not None and t >= self.price_rise:
                    # after the rise each invoice is paid later than the one before, short of 15 days
                    raised += 1
                    late, delay = False, min(14.5, 3.5 * raised + self.brng.uniform(-1, 1))
                self._invoice(sub.subscription_id, "recurring", subtotal, tax_rate, t, late, delay)
                if step:
                    t = t + timedelta(days=step)
                else:
                    month = t.month % 12 + 1
                    year = t.year + (1 if t.month == 12 else 0)
                    day = min(sub.started.day, 28)
                    t = t.replace(year=year, month=month, day=day)

    def _invoice(
        self,
        sub_id: str | None,
        kind: str,
        subtotal: int,
        tax_rate: float,
        issued: datetime,
        late: bool,
        delay_days: float | None = None,
    ) -> None:
        rng = self.rng
        iid = self._id("INV")
        tax = int(round(subtotal * tax_rate))
        due = issued + timedelta(days=14)
        row = {
            "invoice_id": iid,
            "account_id": self.account_id,
            "subscription_id": sub_id,
            "invoice_type": kind,
            "currency": self.currency,
            "subtotal": subtotal,
            "tax": tax,
            "total": subtotal + tax,
            "issued_at": fmt_ts(issued, 0),
            "due_at": fmt_ts(due, 0),
            "paid_at": None,
            "status": "open",
            "updated_at": fmt_ts(issued, 0),
            "is_deleted": False,
        }
        self._emit("billing__invoices", row, issued)
        if late:
            failed = due + timedelta(hours=2)
            if failed < self.end:
                self._payment(iid, subtotal + tax, "failed", failed)
            paid = due + timedelta(days=rng.randint(16, 45))
        elif delay_days is not None:  # paid this many days after the due date
            paid = due + timedelta(days=delay_days)
        else:
            paid = issued + timedelta(days=rng.uniform(0, 13))
            # paid within the second it was issued, the paid version would carry the open version's
            # updated_at: two versions of one key and version (it happened once in 1M invoices at L)
            paid = max(paid, issued + timedelta(seconds=1))
        if paid < self.end:
            self._payment(iid, subtotal + tax, "succeeded", paid)
            self._emit(
                "billing__invoices", dict(row, status="paid", paid_at=fmt_ts(paid, 0), updated_at=fmt_ts(paid, 0)), paid
            )

    def _payment(self, invoice_id: str, amount: int, status: str, at: datetime) -> None:
        row = {
            "payment_id": self._id("PAY"),
            "invoice_id": invoice_id,
            "account_id": self.account_id,
            "amount": amount,
            "currency": self.currency,
            "status": status,
            "failure_reason": "card_declined" if status == "failed" else None,
            "created_at": fmt_ts(at, 0),
            "updated_at": fmt_ts(at, 0),
            "is_deleted": False,
        }
        self._emit("billing__payments", row, at)

    def _nps(self) -> None:
        rng = self.rng
        t = self.subs[0].started + timedelta(days=rng.randint(30, 90))
        while t < self.end:
            if self._live(t) and rng.random() < 0.6:
                cid, _ = rng.choice(self.contacts)
                if self._in_decline(t, 70):
                    score = rng.choice([0, 2, 3, 4, 5, 6, 6, 7])
                elif self.fate == "expander" or self.health > 0.75:
                    score = rng.choice([7, 8, 9, 9, 10, 10])
                else:
                    score = rng.choice([5, 6, 7, 8, 8, 9, 10])
                row = {
                    "response_id": self._id("NPS"),
                    "account_id": self.account_id,
                    "contact_id": cid,
                    "score": score,
                    "comment": None
                    if rng.random() < 0.5
                    else rng.choice(
                        [
                            "Great support",
                            "Too expensive",
                            "Love the dashboards",
                            "Exports are slow",
                            "Hard to onboard new users",
                        ]
                    ),
                    "responded_at": fmt_ts(t, self.offset),
                    "updated_at": fmt_ts(t, self.offset),
                    "is_deleted": False,
                }
                self._emit("surveys__nps_responses", row, t)
                if rng.random() < 0.01:  # a test response, withdrawn
                    gone = t + timedelta(days=2)
                    if gone < self.end:
                        self._emit(
                            "surveys__nps_responses",
                            dict(row, is_deleted=True, updated_at=fmt_ts(gone, self.offset)),
                            gone,
                        )
            t += timedelta(days=rng.randint(80, 100))

    def _meetings_trainings_emails(self) -> None:
        rng = self.rng
        start = self.subs[0].started
        big = self.seats_on(start + timedelta(days=15)) >= 25
        qbr_every = 91 if big else None
        schedule: list[tuple[datetime, str]] = [(start + timedelta(days=rng.randint(2, 10)), "onboarding")]
        if qbr_every:
            t = start + timedelta(days=rng.randint(60, 100))
            while t < self.end + timedelta(days=30):
                schedule.append((t, "qbr"))
                t += timedelta(days=qbr_every)
        t = start + timedelta(days=30)
        while rng.random() < 0.5 and t < self.end:
            schedule.append((t, "check_in"))
            t += timedelta(days=rng.randint(25, 40))
        for when, kind in schedule:
            when = when.replace(minute=0, second=0) + timedelta(hours=(14 - self.offset // 60) - when.hour)
            if not self._live(when - timedelta(days=7)):
                continue
            booked = when - timedelta(days=7)
            if booked >= self.end:
                continue
            row = {
                "meeting_id": self._id("MTG"),
                "account_id": self.account_id,
                "csm_id": self.csm_id,
                "meeting_type": kind,
                "scheduled_at": fmt_ts(when, self.offset),
                "attended": None,
                "updated_at": fmt_ts(booked, self.offset),
                "is_deleted": False,
            }
            self._emit("cs__meetings", row, booked)
            done = when + timedelta(hours=1)
            if done < self.end:
                attended = rng.random() < (0.3 if self._in_decline(when, 90) else 0.85)
                self._emit("cs__meetings", dict(row, attended=attended, updated_at=fmt_ts(done, self.offset)), done)
        for course in COURSES:
            if rng.random() < 0.25 + 0.5 * self.health:
                done = start + timedelta(days=rng.randint(3, 120), hours=rng.randint(0, 23))
                if done < self.end and self._live(done):
                    cid = rng.choice(self.contacts)[0]
                    row = {
                        "training_id": self._id("TRN"),
                        "account_id": self.account_id,
                        "contact_id": cid,
                        "course": course,
                        "completed_at": fmt_ts(done, self.offset),
                        "updated_at": fmt_ts(done, self.offset),
                        "is_deleted": False,
                    }
                    self._emit("cs__trainings", row, done)
        t = start + timedelta(days=1)
        while t < self.end:
            if self._live(t):
                for _ in range(rng.randint(1, 3)):
                    sent = t + timedelta(seconds=rng.randint(0, 30 * 86400))
                    if sent >= self.end:
                        continue
                    row = {
                        "email_id": self._id("EML"),
                        "account_id": self.account_id,
                        "csm_id": self.csm_id,
                        "sent_at": fmt_ts(sent, self.offset),
                        "replied_at": None,
                        "updated_at": fmt_ts(sent, self.offset),
                        "is_deleted": False,
                    }
                    self._emit("cs__emails", row, sent)
                    reply_p = 0.12 if self._in_decline(sent, 60) else 0.2 + 0.5 * self.health
                    if rng.random() < reply_p:
                        replied = sent + timedelta(hours=rng.uniform(1, 72))
                        if replied < self.end:
                            self._emit(
                                "cs__emails",
                                dict(
                                    row,
                                    replied_at=fmt_ts(replied, self.offset),
                                    updated_at=fmt_ts(replied, self.offset),
                                ),
                                replied,
                            )
            t += timedelta(days=30)


def emit_reference_data(out: LandingWriter, n_csms: int, window_start: date) -> list[str]:
    """The CS team and the feature catalogue, present from the first extract."""
    at = _dt(window_start)
    ids = []
    for i in range(n_csms):
        cid = f"CSM-{i + 1:03d}"
        ids.append(cid)
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 3) % len(LAST_NAMES)]}"
        out.emit(
            "crm__csms",
            {
                "csm_id": cid,
                "csm_name": name,
                "email": f"csm{i + 1}@vendor.example",
                "team": list(REGION_WEIGHTS)[i % 4],
                "updated_at": fmt_ts(at, 0),
                "is_deleted": False,
            },
            at,
        )
    for name, category, core in FEATURES:
        out.emit(
            "product__features",
            {"feature_name": name, "category": category, "is_core": core, "updated_at": fmt_ts(at, 0)},
            at,
        )
    return ids
