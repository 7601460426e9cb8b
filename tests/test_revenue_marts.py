"""Revenue marts against an independent plain-Python computation from the staged tables, to the cent."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.helpers import PIPELINE_OPTIONS, PipelineRun

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


@pytest.fixture(scope="module")
def reference(pipeline_run: PipelineRun) -> dict:
    """Account x month MRR computed from stg_billing__subscriptions in Python's Decimal."""
    assert pipeline_run.returncode == 0, pipeline_run.output[-3000:]
    subs = pipeline_run.query("""
        select subscription_id, account_id, seats, unit_amount_minor, discount_percent, interval_months,
               currency, subscription_status, effective_at
        from staging.stg_billing__subscriptions order by subscription_id, effective_at""")
    fx = {
        (m, c): Decimal(str(r))
        for m, c, r in pipeline_run.query("select month, currency, usd_per_unit from seeds.fx_rates")
    }
    factor = {
        c: Decimal(str(f)) for c, f in pipeline_run.query("select currency, minor_unit_factor from seeds.currencies")
    }
    as_of = PIPELINE_OPTIONS.as_of
    versions = defaultdict(list)
    for row in subs:
        versions[row[0]].append(row)
    first = min(r[8] for r in subs)
    months, m = [], date(first.year, first.month, 1)
    while m <= date(as_of.year, as_of.month, 1):
        months.append(m)
        m = add_months(m, 1)
    mrr: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    # the contracts in force, to value them at another month's rate (constant currency)
    contracts: dict[tuple[str, date], list[tuple[Decimal, str]]] = defaultdict(list)
    for month in months:
        nxt = add_months(month, 1)
        snapshot = datetime.combine(min(nxt, as_of), datetime.min.time())
        for vs in versions.values():
            for i, (_, account, seats, unit, disc, interval, cur, status, eff) in enumerate(vs):
                valid_to = vs[i + 1][8] if i + 1 < len(vs) else None
                if eff < snapshot and (valid_to is None or valid_to >= snapshot) and status == "active":
                    amount = Decimal(seats) * Decimal(unit) * (100 - Decimal(str(disc))) / 100 / interval
                    usd = (amount * factor[cur] * fx[(month, cur)]).quantize(CENT, ROUND_HALF_UP)
                    mrr[(account, month)] += usd
                    contracts[(account, month)].append((amount * factor[cur], cur))

    def valued(account: str, month: date, rate_month: date) -> Decimal:
        """The account's contracts of `month` at `rate_month`'s rates, each rounded to the cent."""
        return sum(
            (
                (units * fx[(rate_month, cur)]).quantize(CENT, ROUND_HALF_UP)
                for units, cur in contracts[(account, month)]
            ),
            Decimal(0),
        )

    return {"mrr": mrr, "months": months, "valued": valued}


def test_account_mrr_matches_python_to_the_cent(pipeline_run: PipelineRun, reference: dict) -> None:
    mart = {
        (a, m): Decimal(str(v))
        for a, m, v in pipeline_run.query(
            "select account_id, month, ending_mrr from marts.mrr_movements where ending_mrr > 0"
        )
    }
    expected = {k: v for k, v in reference["mrr"].items() if v > 0}
    assert len(expected) > 1000
    assert mart == expected


def _nrr(reference: dict, month: date) -> tuple[int, Decimal, Decimal, Decimal, int]:
    mrr = reference["mrr"]
    base_month = add_months(month, -12)
    base = {a: v for (a, m), v in mrr.items() if m == base_month and v > 0}
    current = {a: mrr.get((a, month), Decimal(0)) for a in base}
    capped = sum(min(current[a], base[a]) for a in base)
    return len(base), sum(base.values()), sum(current.values()), capped, sum(1 for v in current.values() if v > 0)


@pytest.mark.parametrize("months_back", [0, 1, 5])
def test_nrr_and_grr_match_python(pipeline_run: PipelineRun, reference: dict, months_back: int) -> None:
    month = add_months(reference["months"][-1], -months_back)
    n, base, current, capped, retained = _nrr(reference, month)
    row = pipeline_run.query(
        "select base_accounts, base_mrr, current_mrr, capped_current_mrr, retained_accounts, nrr, grr "
        "from marts.nrr_monthly where month = ? and segment_type = 'all'",
        [month],
    )[0]
    assert row[:5] == (n, base, current, capped, retained)
    assert row[5] == (current / base).quantize(MICRO, ROUND_HALF_UP)
    assert row[6] == (capped / base).quantize(MICRO, ROUND_HALF_UP)


def test_constant_currency_movements_match_python(pipeline_run: PipelineRun, reference: dict) -> None:
    """Every account-month's FX term and constant-currency movement: last month's contracts and this
    month's valued at this month's rate, recomputed from the staged subscription versions."""
    mrr, valued = reference["mrr"], reference["valued"]
    rows = pipeline_run.query(
        "select account_id, month, starting_mrr, ending_mrr, fx_adjustment_mrr, cc_expansion_mrr, "
        "cc_contraction_mrr, cc_churned_mrr, cc_movement_type from marts.mrr_movements"
    )
    moved_by_currency_only = 0
    for account, month, starting, ending, fx_term, cc_ex, cc_con, cc_ch, cc_type in rows:
        previous = add_months(month, -1)
        assert starting == mrr.get((account, previous), Decimal(0))
        at_month_rate = valued(account, previous, month)
        assert fx_term == at_month_rate - starting, (account, month)
        change = ending - at_month_rate
        if starting == 0:
            expected = (Decimal(0), Decimal(0), Decimal(0))
        elif ending == 0:
            expected = (Decimal(0), Decimal(0), at_month_rate)
        else:
            expected = (max(change, Decimal(0)), max(-change, Decimal(0)), Decimal(0))
        assert (cc_ex, cc_con, cc_ch) == expected, (account, month)
        if starting > 0 and ending > 0 and change == 0 and ending != starting:
            assert cc_type == "flat"
            moved_by_currency_only += 1
    assert moved_by_currency_only > 100, "the sample has foreign-currency accounts whose contracts did not change"


def test_constant_currency_nrr_matches_python(pipeline_run: PipelineRun, reference: dict) -> None:
    mrr, valued = reference["mrr"], reference["valued"]
    month = reference["months"][-2]
    base_month = add_months(month, -12)
    base = {a: v for (a, m), v in mrr.items() if m == base_month and v > 0}
    cc_current = {a: valued(a, month, base_month) for a in base}
    cc_sum = sum(cc_current.values())
    cc_capped = sum(min(cc_current[a], base[a]) for a in base)
    row = pipeline_run.query(
        "select cc_current_mrr, cc_capped_current_mrr, cc_nrr, cc_grr, nrr from marts.nrr_monthly "
        "where month = ? and segment_type = 'all'",
        [month],
    )[0]
    total = sum(base.values())
    assert row[:4] == (
        cc_sum,
        cc_capped,
        (cc_sum / total).quantize(MICRO, ROUND_HALF_UP),
        (cc_capped / total).quantize(MICRO, ROUND_HALF_UP),
    )
    assert row[2] != row[4], "the sample's currencies moved over the year"


def test_one_cohort_row_matches_python(pipeline_run: PipelineRun, reference: dict) -> None:
    mrr = reference["mrr"]
    cohort_of = {}
    for (a, m), v in sorted(mrr.items(), key=lambda kv: kv[0][1]):
        if v > 0 and a not in cohort_of:
            cohort_of[a] = m
    cohort = reference["months"][0]
    k = 9
    month = add_months(cohort, k)
    members = [a for a, c in cohort_of.items() if c == cohort]
    m0 = {a: mrr[(a, cohort)] for a in members}
    mk = {a: mrr.get((a, month), Decimal(0)) for a in members}
    row = pipeline_run.query(
        "select cohort_accounts, active_accounts, cohort_starting_mrr, mrr, logo_retention, revenue_retention, "
        "gross_revenue_retention from marts.cohort_retention where cohort_month = ? and month_offset = ?",
        [cohort, k],
    )[0]
    starting, now = sum(m0.values()), sum(mk.values())
    capped = sum(min(mk[a], m0[a]) for a in members)
    active = sum(1 for v in mk.values() if v > 0)
    assert row == (
        len(members),
        active,
        starting,
        now,
        (Decimal(active) / len(members)).quantize(MICRO, ROUND_HALF_UP),
        (now / starting).quantize(MICRO, ROUND_HALF_UP),
        (capped / starting).quantize(MICRO, ROUND_HALF_UP),
    )


def test_figures_are_plausible_on_the_sample_data(pipeline_run: PipelineRun) -> None:
    nrr = pipeline_run.query("select min(nrr), max(nrr), max(grr) from marts.nrr_monthly where segment_type = 'all'")[0]
    assert nrr[0] >= Decimal("0.8") and nrr[1] <= Decimal("1.4"), nrr
    assert nrr[2] <= 1
    month0 = pipeline_run.query(
        "select min(logo_retention), max(logo_retention) from marts.cohort_retention where month_offset = 0"
    )[0]
    assert month0 == (1, 1)
    tiers = dict(pipeline_run.query("select service_tier, count(*) from marts.dim_accounts where is_active group by 1"))
    assert set(tiers) == {"high_touch", "low_touch", "tech_touch"}
    types = {r[0] for r in pipeline_run.query("select distinct movement_type from marts.mrr_movements")}
    assert {"new", "expansion", "contraction", "churn", "reactivation"} <= types


def test_current_month_is_marked_incomplete(pipeline_run: PipelineRun) -> None:
    as_of_month = date(PIPELINE_OPTIONS.as_of.year, PIPELINE_OPTIONS.as_of.month, 1)
    rows = pipeline_run.query(
        "select month, is_complete from marts.mrr_summary_monthly where service_tier = 'all' order by month desc limit 2"
    )
    assert rows == [(as_of_month, False), (add_months(as_of_month, -1), True)]


def test_saas_metrics_match_python_for_every_month_and_tier(pipeline_run: PipelineRun) -> None:
    """saas_metrics_monthly against the same formulas computed here from mrr_movements (docs/metrics.md)."""
    rows = pipeline_run.query(
        "select account_id, month, service_tier, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, "
        "contraction_mrr, churned_mrr, ending_mrr, cc_expansion_mrr, cc_contraction_mrr, cc_churned_mrr "
        "from marts.mrr_movements"
    )
    sums: dict[tuple[date, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for _, month, tier, *amounts in rows:
        for segment in (tier, "all"):
            s = sums[(month, segment)]
            for name, value in zip(
                ("st", "new", "re", "ex", "con", "ch", "end", "cc_ex", "cc_con", "cc_ch"), amounts, strict=True
            ):
                s[name] += value
            s["st_n"] += amounts[0] > 0
            s["pay_n"] += amounts[6] > 0
            s["ch_n"] += amounts[5] > 0

    def rate(n: Decimal, d: Decimal) -> Decimal | None:
        if d == 0:
            return None
        q = (abs(n) / d).quantize(MICRO, rounding=ROUND_HALF_UP)
        return -q if n < 0 else q

    months = sorted({m for m, _ in sums})
    checked = 0
    for month, tier, mrr, arpa, lcr, net, qr, lcr12, qr12, ltv, cc_qr, cc_qr12 in pipeline_run.query(
        "select month, service_tier, mrr, arpa, logo_churn_rate, net_mrr_churn_rate, quick_ratio, "
        "logo_churn_rate_ttm, quick_ratio_ttm, ltv, cc_quick_ratio, cc_quick_ratio_ttm from marts.saas_metrics_monthly"
    ):
        s = sums.get((month, tier), defaultdict(Decimal))
        assert mrr == s["end"]
        assert arpa == ((s["end"] / s["pay_n"]).quantize(CENT, rounding=ROUND_HALF_UP) if s["pay_n"] else None)
        assert lcr == rate(Decimal(s["ch_n"]), Decimal(s["st_n"]))
        assert net == rate(s["con"] + s["ch"] - s["ex"] - s["re"], s["st"])
        assert qr == rate(s["new"] + s["ex"] + s["re"], s["con"] + s["ch"])
        assert cc_qr == rate(s["new"] + s["cc_ex"] + s["re"], s["cc_con"] + s["cc_ch"])
        window = [m for m in months if add_months(month, -11) <= m <= month]
        if len(window) < 12:
            assert (lcr12, qr12, ltv, cc_qr12) == (None, None, None, None)
            continue
        w = [sums.get((m, tier), defaultdict(Decimal)) for m in window]
        st_n, ch_n = sum(x["st_n"] for x in w), sum(x["ch_n"] for x in w)
        assert lcr12 == rate(Decimal(ch_n), Decimal(st_n))
        gains = sum(x["new"] + x["ex"] + x["re"] for x in w)
        assert qr12 == rate(gains, sum(x["con"] + x["ch"] for x in w))
        cc_gains = sum(x["new"] + x["cc_ex"] + x["re"] for x in w)
        assert cc_qr12 == rate(cc_gains, sum(x["cc_con"] + x["cc_ch"] for x in w))
        expected_ltv = (
            (s["end"] * st_n / (s["pay_n"] * ch_n)).quantize(CENT, rounding=ROUND_HALF_UP)
            if s["pay_n"] and ch_n
            else None
        )
        assert ltv == expected_ltv, (month, tier)
        checked += 1
    assert checked >= 4 * 12, "twelve months with a full window, for 'all' and each tier"
