"""Leadership dashboard: Streamlit on the published marts (read-only).

Run with `make dashboard`. It reads `marts.duckdb` in the pipeline's publish folder
(the same settings as the pipeline: `$CSW_PUBLISH_DIR`, else `$CSW_DATA_DIR/published`),
never the build file, and reloads by itself when a new version is published.
"""

from __future__ import annotations

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from dagster_project.lib.publish import PUBLISHED_FILE
from dagster_project.lib.settings import Settings

DB = Settings.from_env().publish_dir / PUBLISHED_FILE
TIERS = ["high_touch", "low_touch", "tech_touch"]
BAND_COLORS = alt.Scale(domain=["green", "yellow", "red"], range=["#2e7d32", "#f9a825", "#c62828"])
QUERIES = {
    "log": "select * from _publish_log order by published_at",
    "accounts": "select * from dim_accounts",
    "movements": "select m.*, a.region from mrr_movements m left join dim_accounts a using (account_id)",
    "nrr": "select * from nrr_monthly",
    "saas": "select * from saas_metrics_monthly",
    "cohorts": "select * from cohort_retention",
    "cohorts_quarterly": "select * from cohort_retention_quarterly",
    "health": "select h.*, a.region, a.service_tier, a.account_name, p.churn_probability "
    "from account_health_weekly h left join dim_accounts a using (account_id) "
    "left join account_churn_probability p using (account_id, week_start)",
    "alerts": "select * from churn_risk_alerts",
    "renewals": "select r.*, a.region, a.service_tier from renewal_pipeline r left join dim_accounts a using (account_id)",
    "tasks": "select t.*, a.csm_id, a.csm_name, a.current_arr from cs_tasks t left join dim_accounts a using (account_id)",
    "onboarding": "select o.*, a.account_name, a.csm_name from onboarding_progress o left join dim_accounts a using (account_id)",
    "backtest": "select * from health_score_backtest",
    "forecast": "select * from renewal_forecast",
    "forecast_backtest": "select * from renewal_forecast_backtest order by forecast_week",
    "calibration": "select * from health_score_calibration",
    "restatements": "select * from metric_restatements order by restated_at desc, month desc, metric",
    "freshness": "select * from _freshness order by source_table",
    "detection": "select * from churn_detection_by_kind order by priority",
}
# tables a version published before they existed does not have: read as empty
OPTIONAL = {"restatements", "freshness", "detection"}
# the sources each page's figures rest on, for its "data through" line
PAGE_SOURCES = {
    "Leadership": ["billing__subscriptions", "billing__invoices", "crm__accounts", "product__events"],
    "My tasks this week": ["product__events", "support__tickets", "crm__contacts", "surveys__nps_responses"],
    "Does the health score predict churn?": ["billing__subscriptions", "product__events", "support__tickets"],
    "Renewal forecast": ["billing__subscriptions", "product__events"],
    "Restatements": ["billing__subscriptions", "crm__accounts"],
}
PAGES = [
    "Leadership",
    "My tasks this week",
    "Does the health score predict churn?",
    "Renewal forecast",
    "Restatements",
]


def version_key() -> tuple[int, int]:
    stat = DB.stat()
    return stat.st_ino, stat.st_mtime_ns


@st.cache_data(show_spinner="Loading the published marts ...")
def load(_version: tuple[int, int]) -> dict[str, pd.DataFrame]:
    """One consistent read of one published version (the file is replaced, never changed in place)."""
    conn = duckdb.connect(str(DB), read_only=True)
    try:
        data = {}
        for name, sql in QUERIES.items():
            try:
                data[name] = conn.execute(sql).df()
            except duckdb.CatalogException:
                if name not in OPTIONAL:
                    raise
                data[name] = pd.DataFrame()
        return data
    finally:
        conn.close()


@st.fragment(run_every="15s")
def watch_for_new_version(shown: tuple[int, int]) -> None:
    if DB.exists() and version_key() != shown:
        st.rerun()


def money(x: float) -> str:
    return f"${x:,.0f}"


def figure(metric: str, value: object, signed: bool = False) -> str:
    """A headline figure as BI shows it: money for MRR and its movements, percent for rates."""
    x = float(value)
    sign = "+" if signed and x > 0 else ""
    if metric.endswith("mrr"):
        return f"{sign}{'-' if x < 0 else ''}${abs(x):,.2f}"
    return f"{sign}{x * 100:.2f}{' pts' if signed else '%'}"


def pct(x: float | None) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.1%}"


def monthly_and_ttm(
    frame: pd.DataFrame,
    metric: str,
    title: str,
    value_format: str,
    fragile: pd.Series | None = None,
    **y_options: object,
) -> alt.Chart:
    """A metric of saas_metrics_monthly and its trailing-twelve-month version, as two lines over the months.
    Months where `fragile` is true (a low-base flag of the mart) are drawn faded: read the TTM line there."""
    wide = frame.assign(low_base=False if fragile is None else fragile.fillna(False).astype(bool))
    long = wide.melt(["month", "low_base"], value_vars=[metric, f"{metric}_ttm"], var_name="metric", value_name="value")
    long["low_base"] = long["low_base"] & ~long["metric"].str.endswith("_ttm")
    long["metric"] = long["metric"].str.removeprefix("cc_")
    long["value"] = long["value"].astype(float)
    base = alt.Chart(long).encode(
        x=alt.X("yearmonth(month):O", title=None),
        y=alt.Y("value:Q", title=title, **y_options),
        color=alt.Color("metric:N", title=None),
    )
    points = base.mark_point(filled=True, size=60).encode(
        opacity=alt.condition("datum.low_base", alt.value(0.2), alt.value(1)),
        tooltip=[
            "yearmonth(month):O",
            "metric:N",
            alt.Tooltip("value:Q", format=value_format),
            alt.Tooltip("low_base:N", title="low base"),
        ],
    )
    return base.mark_line() + points


def main() -> None:
    st.set_page_config(page_title="Customer success", layout="wide")
    page = st.sidebar.radio("Page", PAGES, key="page")
    st.title("Customer success: leadership dashboard" if page == PAGES[0] else page)
    if not DB.exists():
        st.warning(f"Nothing is published yet at {DB}. Run `make run` first.")
        return
    shown = version_key()
    data = load(shown)
    watch_for_new_version(shown)
    last = data["log"].iloc[-1]
    st.caption(
        f"As of **{pd.Timestamp(last['as_of_date']):%Y-%m-%d}** · published {pd.Timestamp(last['published_at']):%Y-%m-%d %H:%M} UTC"
        f" · version {last['version_id']} · checks passed {last['checks_passed']}/{last['checks_run']}"
    )
    freshness_note(data, page)
    if page == PAGES[1]:
        tasks_page(data)
    elif page == PAGES[2]:
        backtest_page(data)
    elif page == PAGES[3]:
        forecast_page(data)
    elif page == PAGES[4]:
        restatements_page(data)
    else:
        leadership_page(data)


def freshness_note(data: dict[str, pd.DataFrame], page: str) -> None:
    """ "Data through" for the page's sources, and a banner for every stale source (`_freshness`)."""
    fr = data["freshness"]
    if fr.empty:
        return
    fr = fr.assign(label=fr["source_name"] + "." + fr["table_name"])
    mine = fr[fr["source_table"].isin(PAGE_SOURCES.get(page, []))]
    through = [
        f"{r['label']} {pd.Timestamp(r['newest_record_at']):%Y-%m-%d %H:%M}"
        for _, r in mine.iterrows()
        if pd.notna(r["newest_record_at"])
    ]
    if through:
        st.caption("Data through (newest record, UTC): " + " · ".join(through))
    held = data["alerts"]
    for _, r in fr[fr["freshness_status"] == "error"].iterrows():
        alerts = held[held["is_held_back"] & held["held_back_reason"].str.startswith(r["label"] + " ")]
        st.error(
            f"Stale source: **{r['label']}**, newest record {pd.Timestamp(r['newest_record_at']):%Y-%m-%d %H:%M}, "
            f"{float(r['record_lag_hours']):,.0f} h before the as-of date (stale after {int(r['error_after_hours'])} h). "
            f"Figures resting on it may be incomplete; {len(alerts):,} alert(s) and the tasks resting on it are held "
            "back until it catches up.",
            icon="🚨",
        )
    for _, r in mine[mine["freshness_status"] == "warn"].iterrows():
        st.warning(
            f"Late source: **{r['label']}**, newest record {float(r['record_lag_hours']):,.0f} h before the as-of "
            f"date (warn after {int(r['warn_after_hours'])} h).",
            icon="⏳",
        )


def leadership_page(data: dict[str, pd.DataFrame]) -> None:
    tier = st.sidebar.selectbox("Service tier", ["all", *TIERS], key="tier")
    view = st.sidebar.radio(
        "Currency",
        ["Reported", "Constant currency"],
        key="currency",
        help="Reported: every month at its own FX rate, so currency moves show as expansion or contraction. "
        "Constant currency: movements are contract changes only, currency is its own bar (docs/metrics.md).",
    )
    cc = "cc_" if view == "Constant currency" else ""
    region = st.sidebar.selectbox(
        "Region", ["all", *sorted(data["accounts"]["region"].dropna().unique())], key="region"
    )

    def keep(df: pd.DataFrame, tier_column: str = "service_tier") -> pd.DataFrame:
        if tier != "all":
            df = df[df[tier_column] == tier]
        if region != "all":
            df = df[df["region"] == region]
        return df

    accounts = keep(data["accounts"])
    active = accounts[accounts["is_active"]]
    nrr = data["nrr"]
    segment = ("service_tier", tier) if tier != "all" else ("region", region) if region != "all" else ("all", "all")
    nrr_seg = nrr[(nrr["segment_type"] == segment[0]) & (nrr["segment"] == segment[1])].sort_values("month")
    complete = nrr_seg[nrr_seg["is_complete"]]
    latest = complete.iloc[-1] if len(complete) else None
    health = keep(data["health"])
    this_week = health["week_start"].max()
    now = health[health["week_start"] == this_week]

    k = st.columns(5)
    k[0].metric("ARR", money(active["current_arr"].sum()))
    k[1].metric("Paying accounts", f"{len(active):,}")
    fragile_nrr = latest is not None and bool(latest["is_low_base"])
    k[2].metric(
        "NRR (TTM)",
        pct(latest[f"{cc}nrr"] if latest is not None else None),
        help=(
            f"Low base: {int(latest['base_accounts'])} base accounts; account {latest['top_account_id']} alone "
            f"moves it (without it: {pct(latest['nrr_excl_top_account'])}, reported)"
            if fragile_nrr and pd.notna(latest["top_account_id"])
            else None
        ),
    )
    k[3].metric("GRR (TTM)", pct(latest[f"{cc}grr"] if latest is not None else None))
    k[4].metric("Accounts in red", f"{(now['health_band'] == 'red').sum():,}")
    restated = data["restatements"]
    if len(restated):
        mine = restated[(restated["segment_type"] == segment[0]) & (restated["segment"] == segment[1])]
        mine = mine[mine["month"] >= nrr_seg["month"].min()] if len(nrr_seg) else mine
        if len(mine):
            st.info(
                "Restated since first published: "
                + "; ".join(
                    f"{pd.Timestamp(r['month']):%Y-%m} {r['metric']} {figure(r['metric'], r['change'], signed=True)} "
                    f"({r['cause_kinds'].replace('_', ' ')}, {pd.Timestamp(r['restated_at']):%Y-%m-%d})"
                    for _, r in mine.head(6).iterrows()
                )
                + (f" and {len(mine) - 6} more" if len(mine) > 6 else "")
                + ". Details on the Restatements page.",
                icon="📝",
            )

    left, right = st.columns(2)
    with left:
        st.subheader(f"MRR waterfall, last 12 months ({view.lower()})")
        moves = keep(data["movements"])
        months = sorted(moves["month"].unique())[-12:]
        columns = ["new_mrr", "reactivation_mrr", f"{cc}expansion_mrr", f"{cc}contraction_mrr", f"{cc}churned_mrr"]
        if cc:
            columns.append("fx_adjustment_mrr")
        wf = moves[moves["month"].isin(months)].groupby("month")[columns].sum().reset_index()
        for col in (f"{cc}contraction_mrr", f"{cc}churned_mrr"):
            wf[col] = -wf[col]
        long = wf.melt("month", var_name="movement", value_name="usd")
        long["usd"] = long["usd"].astype(float)
        long["movement"] = (
            long["movement"].str.removeprefix("cc_").str.replace("_mrr", "").str.replace("fx_adjustment", "currency")
        )
        st.altair_chart(
            alt.Chart(long)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):O", title=None),
                y=alt.Y("sum(usd):Q", title="MRR change (USD)"),
                color=alt.Color(
                    "movement:N",
                    scale=alt.Scale(
                        domain=["new", "reactivation", "expansion", "contraction", "churned", "currency"],
                        range=["#1565c0", "#42a5f5", "#66bb6a", "#ffa726", "#e53935", "#9e9e9e"],
                    ),
                ),
                tooltip=["yearmonth(month):O", "movement:N", alt.Tooltip("sum(usd):Q", format=",.2f")],
            ),
            use_container_width=True,
        )
    with right:
        st.subheader(f"NRR and GRR ({segment[1] if segment[0] != 'all' else 'all accounts'})")
        trend = nrr_seg.melt(
            ["month", "is_low_base"], value_vars=[f"{cc}nrr", f"{cc}grr"], var_name="metric", value_name="ratio"
        )
        trend["metric"] = trend["metric"].str.removeprefix("cc_")
        trend["ratio"] = trend["ratio"].astype(float)
        trend["is_low_base"] = trend["is_low_base"].fillna(False).astype(bool)
        lines = alt.Chart(trend).encode(
            x=alt.X("yearmonth(month):O", title=None),
            y=alt.Y("ratio:Q", title="trailing twelve months", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False)),
            color="metric:N",
        )
        st.altair_chart(
            lines.mark_line()
            + lines.mark_point(filled=True, size=60).encode(
                opacity=alt.condition("datum.is_low_base", alt.value(0.2), alt.value(1)),
                tooltip=[
                    "yearmonth(month):O",
                    "metric:N",
                    alt.Tooltip("ratio:Q", format=".1%"),
                    alt.Tooltip("is_low_base:N", title="low base"),
                ],
            ),
            use_container_width=True,
        )
        if fragile_nrr and pd.notna(latest["top_account_id"]):
            st.caption(
                f"Faded months rest on a low base (nrr_monthly.is_low_base): fewer than 20 base accounts, or one "
                f"account moves NRR by 6 points or more. Latest: {latest['top_account_id']} changed by "
                f"{money(float(latest['top_account_change_mrr']))}; NRR without it "
                f"{pct(latest['nrr_excl_top_account'])} (reported)."
            )

    saas = data["saas"]
    saas = saas[(saas["service_tier"] == tier) & saas["is_complete"]].sort_values("month").tail(12)
    q1, q2 = st.columns(2)
    with q1:
        st.subheader(f"Quick ratio, last 12 complete months ({tier})")
        # symlog: a month with almost no loss has a ratio in the hundreds, the year's is near 3
        st.altair_chart(
            monthly_and_ttm(
                saas,
                f"{cc}quick_ratio",
                "(new + expansion + reactivation) / (contraction + churn)",
                ".2f",
                fragile=saas["is_quick_ratio_low_base"] | saas["is_low_base"],
                scale=alt.Scale(type="symlog"),
            ),
            use_container_width=True,
        )
        st.caption(
            "Faded months divide by almost nothing (losses under 1% of starting MRR) or rest on fewer than 20 "
            "accounts: read the trailing-twelve-month line."
        )
    with q2:
        # accounts, not dollars: the same in both currency views
        st.subheader(f"Logo churn rate, last 12 complete months ({tier})")
        st.altair_chart(
            monthly_and_ttm(
                saas,
                "logo_churn_rate",
                "churned accounts / accounts at the start",
                ".2%",
                fragile=saas["is_low_base"],
                axis=alt.Axis(format="%"),
            ),
            use_container_width=True,
        )

    grain = st.radio("Cohorts", ["Monthly", "Quarterly"], horizontal=True, key="cohort_grain")
    st.subheader(f"Cohort retention (all accounts, {grain.lower()})")
    if grain == "Quarterly":
        cohorts = data["cohorts_quarterly"].copy()
        cohorts["cohort"] = pd.PeriodIndex(pd.to_datetime(cohorts["cohort_quarter"]), freq="Q").astype(str)
        cohorts["month_offset"] = cohorts["quarter_offset"]
        offset_title = "quarters since first payment"
    else:
        cohorts = data["cohorts"].copy()
        cohorts["cohort"] = pd.to_datetime(cohorts["cohort_month"]).dt.strftime("%Y-%m")
        offset_title = "months since first payment"
    c1, c2 = st.columns(2)
    for column, metric, title in (
        (c1, "logo_retention", "Logo retention"),
        (c2, "revenue_retention", "Revenue retention"),
    ):
        cohorts[metric] = cohorts[metric].astype(float)
        column.altair_chart(
            alt.Chart(cohorts, title=title)
            .mark_rect()
            .encode(
                x=alt.X("month_offset:O", title=offset_title),
                y=alt.Y("cohort:O", title="cohort"),
                color=alt.Color(
                    f"{metric}:Q",
                    scale=alt.Scale(scheme="redyellowgreen", domain=[0.5, 1.2], clamp=True),
                    legend=alt.Legend(format="%"),
                ),
                tooltip=["cohort:O", "month_offset:O", alt.Tooltip(f"{metric}:Q", format=".1%"), "cohort_accounts:Q"],
            ),
            use_container_width=True,
        )

    h1, h2 = st.columns(2)
    with h1:
        st.subheader("Health bands over time")
        bands = health.groupby(["week_start", "health_band"]).size().reset_index(name="accounts")
        st.altair_chart(
            alt.Chart(bands)
            .mark_area()
            .encode(
                x=alt.X("week_start:T", title=None),
                y=alt.Y("accounts:Q", stack="zero"),
                color=alt.Color("health_band:N", scale=BAND_COLORS),
                tooltip=["week_start:T", "health_band:N", "accounts:Q"],
            ),
            use_container_width=True,
        )
    with h2:
        st.subheader("Contract renewals in the next 90 days")
        every = keep(data["renewals"])
        every = every.assign(health_band=every["health_band"].fillna("unscored"), arr=every["arr"].astype(float))
        risky = (every["health_band"] == "red") | (every["open_alerts"] > 0)
        # a monthly plan "renews" every month: contract renewals are what renewal work plans on, and the
        # monthly plans at risk are a figure of their own (renewal_pipeline.renewal_kind)
        contract = every["is_contract_renewal"].fillna(False).astype(bool)
        renewals = every[contract]
        monthly_at_risk = every[~contract & risky]
        c1, c2 = st.columns(2)
        c1.metric(
            "ARR renewing (contracts)",
            money(renewals["arr"].sum()),
            delta=f"{money(renewals[risky[contract]]['arr'].sum())} at risk",
            delta_color="inverse",
        )
        c2.metric(
            "Monthly plans at risk",
            f"{monthly_at_risk['account_id'].nunique():,} accounts",
            delta=f"{money(monthly_at_risk['arr'].sum())} ARR",
            delta_color="off",
        )
        st.altair_chart(
            alt.Chart(renewals)
            .mark_bar()
            .encode(
                x=alt.X("renewal_window:O", title="renews within (days)"),
                y=alt.Y("sum(arr):Q", title="ARR (USD)"),
                color=alt.Color(
                    "health_band:N",
                    scale=alt.Scale(
                        domain=["green", "yellow", "red", "unscored"],
                        range=["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"],
                    ),
                ),
                tooltip=["renewal_window:O", "health_band:N", alt.Tooltip("sum(arr):Q", format=",.0f")],
            ),
            use_container_width=True,
        )

    st.subheader(f"Accounts that turned red in the week of {pd.Timestamp(this_week):%Y-%m-%d}")
    red = now[(now["health_band"] == "red") & (now["previous_health_band"].fillna("red") != "red")]
    alerts = data["alerts"]
    alerts = alerts[(alerts["week_start"] == this_week) & (alerts["signal_type"] == "churn_risk")]
    if "is_held_back" in alerts:  # held back on a stale source: not shown as the account's
        alerts = alerts[~alerts["is_held_back"].fillna(False).astype(bool)]
    why = alerts.groupby("account_id")["detail"].apply(lambda d: "; ".join(d)).rename("alerts")
    table = red.merge(why, how="left", left_on="account_id", right_index=True)[
        [
            "account_name",
            "service_tier",
            "region",
            "health_score",
            "churn_probability",
            "score_change",
            "main_driver",
            "alerts",
        ]
    ].rename(columns={"churn_probability": "churn or halving in 90 days"})
    if table.empty:
        st.info("No account turned red this week.")
    else:
        st.dataframe(table, hide_index=True, use_container_width=True)

    st.subheader("Renewal pipeline")
    st.dataframe(
        renewals.sort_values("renewal_date")[
            [
                "account_name",
                "renewal_date",
                "days_to_renewal",
                "billing_interval",
                "arr",
                "health_band",
                "health_score",
                "open_alerts",
                "csm_name",
            ]
        ],
        hide_index=True,
        use_container_width=True,
    )


def tasks_page(data: dict[str, pd.DataFrame]) -> None:
    """A CSM's open tasks (cs_tasks: one per account and playbook while its trigger holds) and their
    accounts' onboarding; team leads see their escalations under their own name."""
    tasks = data["tasks"]
    people = tasks[(tasks["owner_role"] != "automation")]
    owners = sorted(people["owner_name"].dropna().unique())
    if not owners:
        st.info("No task for a person in the published version.")
        return
    owner = st.sidebar.selectbox("CSM or team lead", owners, key="owner")
    mine = people[(people["owner_name"] == owner) & (people["status"] == "open")].sort_values(["priority", "due_on"])
    mine = mine.assign(
        due_on=pd.to_datetime(mine["due_on"]).dt.date, opened_week=pd.to_datetime(mine["opened_week"]).dt.date
    )
    overdue = (mine["due_on"] < pd.Timestamp(data["log"].iloc[-1]["as_of_date"]).date()).sum()
    k = st.columns(3)
    k[0].metric("Open tasks", f"{len(mine):,}")
    k[1].metric("Priority 1", f"{(mine['priority'] == 1).sum():,}")
    k[2].metric("Past due", f"{overdue:,}")
    held = people[(people["owner_name"] == owner) & (people["status"] == "held_back")]
    if len(held):
        st.caption(
            f"{len(held):,} more held back: their latest trigger rests on a stale source ("
            + "; ".join(sorted(held["held_back_reason"].dropna().unique()))
            + ")."
        )
    st.subheader(f"Open tasks of {owner}")
    if mine.empty:
        st.info("Nothing open: every trigger has cleared.")
    else:
        st.dataframe(
            mine[["priority", "due_on", "account_name", "service_tier", "action", "reason", "resource", "opened_week"]],
            hide_index=True,
            use_container_width=True,
        )
    onboarding = data["onboarding"]
    onboarding = onboarding[
        (onboarding["csm_name"] == owner)
        & onboarding["is_onboarding"]
        & (onboarding["onboarding_status"] != "complete")
    ]
    st.subheader("Accounts in onboarding")
    if onboarding.empty:
        st.info("No account of yours is onboarding, or all have reached every milestone.")
    else:
        st.dataframe(
            onboarding.sort_values("days_since_start")[
                [
                    "account_name",
                    "service_tier",
                    "days_since_start",
                    "onboarding_status",
                    "next_milestone",
                    "milestones_reached",
                    "milestones",
                ]
            ],
            hide_index=True,
            use_container_width=True,
        )
    automation = tasks[(tasks["owner_role"] == "automation") & (tasks["status"] == "open")]
    st.caption(
        f"Automated campaigns reach {automation['account_id'].nunique():,} accounts this week (automation_audiences)."
    )


def backtest_page(data: dict[str, pd.DataFrame]) -> None:
    """health_score_backtest: AUC per quarter, outcome rate per band, precision and recall per rule."""
    bt = data["backtest"]
    if bt.empty:
        st.info("Not enough history yet: no scored week whose 90 days are over.")
        return
    horizon = int(bt["horizon_days"].iloc[0])
    pooled = bt[(bt["section"] == "auc") & bt["quarter_start"].isna()].set_index("subject")
    rules = bt[bt["section"] == "alert_rule"].set_index("subject")
    st.markdown(
        f"For every paying account-week whose outcome is known: did the account churn or lose at least "
        f"{float(bt['loss_share'].iloc[0]):.0%} of its MRR within {horizon} days? "
        "**AUC** is the chance that a week followed by that outcome scored lower than one that was not "
        "(0.5 = a coin toss). **Precision** is how often an alert was followed by the outcome; **recall**, "
        "how many outcomes an alert warned of. docs/health-score.md explains how to read it."
    )
    k = st.columns(4)
    score = pooled.loc["health_score"] if "health_score" in pooled.index else None
    k[0].metric(
        "AUC of the score",
        f"{float(score['auc']):.3f}" if score is not None else "-",
        help=(
            f"95% interval {float(score['auc_ci_low']):.2f} to {float(score['auc_ci_high']):.2f} "
            f"over {int(score['outcome_events'])} outcome events"
            if score is not None and pd.notna(score["auc_ci_low"])
            else None
        ),
    )
    k[1].metric(
        "Outcome rate",
        pct(float(pooled.loc["health_score", "outcome_rate"])) if "health_score" in pooled.index else "-",
    )
    if "all_churn_risk" in rules.index:
        k[2].metric("Churn-risk alert precision", pct(float(rules.loc["all_churn_risk", "alert_precision"] or 0)))
        k[3].metric("Recall", pct(float(rules.loc["all_churn_risk", "recall"] or 0)))
    left, right = st.columns(2)
    with left:
        st.subheader("AUC per quarter, score and components")
        auc = bt[(bt["section"] == "auc") & bt["quarter_start"].notna()].copy()
        for column in ("auc", "auc_ci_low", "auc_ci_high"):
            auc[column] = auc[column].astype(float)
        auc["is_low_base"] = auc["is_low_base"].fillna(False).astype(bool)
        x = alt.X("yearquarter(quarter_start):O", title=None)
        interval = (
            alt.Chart(auc[auc["subject"] == "health_score"])
            .mark_area(opacity=0.15, color="#1565c0")
            .encode(x=x, y=alt.Y("auc_ci_low:Q", scale=alt.Scale(domain=[0, 1])), y2="auc_ci_high:Q")
        )
        lines = alt.Chart(auc).encode(
            x=x,
            y=alt.Y("auc:Q", title="AUC", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("subject:N", title=None),
        )
        points = lines.mark_point(filled=True, size=50).encode(
            opacity=alt.condition("datum.is_low_base", alt.value(0.3), alt.value(1)),
            tooltip=[
                "yearquarter(quarter_start):O",
                "subject:N",
                alt.Tooltip("auc:Q", format=".3f"),
                alt.Tooltip("auc_ci_low:Q", format=".2f", title="95% from"),
                alt.Tooltip("auc_ci_high:Q", format=".2f", title="95% to"),
                alt.Tooltip("outcome_events:Q", title="outcome events"),
                alt.Tooltip("is_low_base:N", title="low base"),
            ],
        )
        st.altair_chart(
            interval
            + lines.mark_line().encode(
                strokeWidth=alt.condition("datum.subject == 'health_score'", alt.value(4), alt.value(1.5))
            )
            + points,
            use_container_width=True,
        )
        few = auc[(auc["subject"] == "health_score") & auc["is_low_base"]]
        st.caption(
            "Shaded: the score's 95% interval per quarter. "
            + (
                f"{len(few)} of {int((auc['subject'] == 'health_score').sum())} quarters have fewer than "
                "20 outcome events (faded): read the pooled figure. "
                if len(few)
                else ""
            )
            + "Every label is published in health_score_outcomes_weekly to recompute these."
        )
    with right:
        st.subheader("Outcome rate per health band")
        band = bt[(bt["section"] == "band") & bt["quarter_start"].isna()].copy()
        band["outcome_rate"] = band["outcome_rate"].astype(float)
        st.altair_chart(
            alt.Chart(band)
            .mark_bar()
            .encode(
                x=alt.X("subject:N", title=None, sort=["green", "yellow", "red"]),
                y=alt.Y(
                    "outcome_rate:Q", title=f"followed by the outcome within {horizon} days", axis=alt.Axis(format="%")
                ),
                color=alt.Color("subject:N", scale=BAND_COLORS, legend=None),
                tooltip=[
                    "subject:N",
                    "scored_weeks:Q",
                    alt.Tooltip("outcome_rate:Q", format=".1%"),
                    alt.Tooltip("lift:Q", format=".1f"),
                ],
            ),
            use_container_width=True,
        )
    st.subheader("Churn-risk rules: precision, recall and lead time")
    table = rules.reset_index()[
        ["subject", "times_fired", "followed_by_outcome", "alert_precision", "recall", "median_lead_weeks"]
    ].rename(columns={"subject": "rule", "alert_precision": "precision", "median_lead_weeks": "median lead (weeks)"})
    st.dataframe(table.sort_values("precision", ascending=False), hide_index=True, use_container_width=True)

    detection = data["detection"]
    if len(detection):
        st.subheader("Which churn the alerts see coming")
        kinds = detection[detection["churn_kind"] != "all"].copy()
        kinds["warned within 8 weeks"] = kinds["warned_8w_share"].astype(float)
        st.altair_chart(
            alt.Chart(kinds[kinds["outcome_events"] > 0])
            .mark_bar()
            .encode(
                x=alt.X("warned within 8 weeks:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                y=alt.Y("churn_kind:N", title=None, sort=list(kinds["churn_kind"])),
                tooltip=["churn_kind:N", "outcome_events:Q", "warned_8w:Q", "median_lead_weeks:Q"],
            ),
            use_container_width=True,
        )
        total = detection[detection["churn_kind"] == "all"].iloc[0]
        st.caption(
            f"Every churn or loss of half the MRR ({int(total['outcome_events'])} events), classified by what came "
            "first in the 26 weeks before it; the share with a churn-risk alert in the 8 weeks before "
            f"({pct(total['warned_8w_share'])} of all). Kinds with no bar had no events here "
            "(docs/health-score.md, 'Detection by kind of churn')."
        )
        st.dataframe(
            detection[
                ["churn_kind", "outcome_events", "warned_4w", "warned_8w", "warned_8w_share", "median_lead_weeks"]
            ],
            hide_index=True,
            use_container_width=True,
        )


def forecast_page(data: dict[str, pd.DataFrame]) -> None:
    """renewal_forecast and its backtest: expected renewed ARR with its interval, and how wrong it was."""
    fc = data["forecast"]
    if fc.empty:
        st.info("No renewal in the next 180 days.")
        return
    for column in ("renewing_arr", "expected_renewed_arr", "renewed_arr_low", "renewed_arr_high"):
        fc[column] = fc[column].astype(float)
    kind = st.radio("Renewals", ["contract", "all"], horizontal=True, key="forecast_kind")
    rows = (
        fc[(fc["segment_type"] == "renewal_kind") & (fc["segment"] == kind)]
        if kind != "all"
        else fc[fc["segment_type"] == "all"]
    )
    st.markdown(
        "Each renewal is lost with its account's probability of churning or losing half its MRR within 90 days "
        "(calibrated on the health score's history), the whole ARR at once; the interval is 90%, with renewals "
        "taken as independent. docs/health-score.md, 'Renewal forecast'."
    )
    k = st.columns(4)
    for col, (_, r) in zip(k, rows.sort_values("horizon_days").iterrows(), strict=False):
        col.metric(
            f"Renewing in {int(r['horizon_days'])} days",
            money(r["expected_renewed_arr"]),
            help=f"of {money(r['renewing_arr'])}; 90% interval {money(r['renewed_arr_low'])} to "
            f"{money(r['renewed_arr_high'])}",
        )
    left, right = st.columns(2)
    with left:
        st.subheader("Expected renewed ARR by CSM, next 90 days")
        by_csm = fc[(fc["horizon_days"] == 90) & (fc["segment_type"] == "csm")].copy()
        bars = alt.Chart(by_csm).encode(y=alt.Y("segment:N", title=None, sort="-x"))
        st.altair_chart(
            bars.mark_bar(color="#90caf9").encode(x=alt.X("renewing_arr:Q", title="ARR (USD)"))
            + bars.mark_bar(color="#1565c0").encode(x="expected_renewed_arr:Q")
            + bars.mark_rule(color="black").encode(x="renewed_arr_low:Q", x2="renewed_arr_high:Q"),
            use_container_width=True,
        )
    with right:
        st.subheader("Forecast against what happened, per quarter")
        bt = data["forecast_backtest"].copy()
        for column in ("forecast_kept_arr", "forecast_kept_low", "forecast_kept_high", "actual_kept_arr"):
            bt[column] = bt[column].astype(float)
        base = alt.Chart(bt).encode(x=alt.X("yearmonth(forecast_week):O", title="forecast made"))
        st.altair_chart(
            base.mark_area(opacity=0.2).encode(
                y=alt.Y("forecast_kept_low:Q", title="ARR kept over 90 days (USD)", scale=alt.Scale(zero=False)),
                y2="forecast_kept_high:Q",
            )
            + base.mark_line(point=True).encode(y="forecast_kept_arr:Q")
            + base.mark_point(color="black", shape="diamond", size=80).encode(
                y="actual_kept_arr:Q",
                tooltip=[
                    "yearmonth(forecast_week):O",
                    alt.Tooltip("forecast_kept_arr:Q", format=",.0f"),
                    alt.Tooltip("actual_kept_arr:Q", format=",.0f"),
                    alt.Tooltip("error_share:Q", format=".1%"),
                ],
            ),
            use_container_width=True,
        )
        known = bt[bt["is_known"]]
        if len(known):
            st.caption(
                "Line: forecast, band: its 90% interval, diamonds: the ARR kept in fact; forecast error per quarter: "
                + ", ".join(f"{float(e):+.1%}" for e in known["error_share"])
                + "."
            )
    cal = data["calibration"]
    brier = cal[(cal["section"] == "brier") & cal["quarter_start"].isna()]
    if len(brier):
        b = brier.iloc[0]
        st.caption(
            f"The probabilities, fitted each quarter on what was known before it: Brier score {float(b['brier']):.4f} "
            f"against {float(b['base_rate_brier']):.4f} for the base rate (skill {float(b['brier_skill']):.1%})."
        )


def restatements_page(data: dict[str, pd.DataFrame]) -> None:
    """metric_restatements: each closed month's headline figure that changed between two publications."""
    rs = data["restatements"]
    st.markdown(
        "A closed month's figure can change after it was published: a subscription amended back in time, a "
        "record that arrived late, a retraction. Each publication keeps its headline figures; every change "
        "between two publications is listed here with the loads that caused it (docs/bi.md, 'Restatements')."
    )
    if rs.empty:
        st.success("No closed month's figure has changed between publications.")
        return
    k = st.columns(3)
    k[0].metric("Restated figures", f"{len(rs):,}")
    k[1].metric("Months restated", f"{rs['month'].nunique():,}")
    k[2].metric("Publications with restatements", f"{rs['restated_version'].nunique():,}")
    money_rows = rs[rs["metric"].str.endswith("mrr") & (rs["segment_type"] == "all")].copy()
    if len(money_rows):
        st.subheader("MRR restated, by month (all accounts)")
        money_rows["change"] = money_rows["change"].astype(float)
        st.altair_chart(
            alt.Chart(money_rows)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):O", title=None),
                y=alt.Y("sum(change):Q", title="change (USD)"),
                color=alt.Color("metric:N", title=None),
                tooltip=["yearmonth(month):O", "metric:N", alt.Tooltip("sum(change):Q", format=",.2f")],
            ),
            use_container_width=True,
        )
    table = rs.assign(
        month=rs["month"].map(lambda m: f"{pd.Timestamp(m):%Y-%m}"),
        reported=[figure(m, v) for m, v in zip(rs["metric"], rs["reported_value"], strict=True)],
        restated=[figure(m, v) for m, v in zip(rs["metric"], rs["restated_value"], strict=True)],
        change_=[figure(m, v, signed=True) for m, v in zip(rs["metric"], rs["change"], strict=True)],
    )
    st.subheader("Every restatement, newest first")
    st.dataframe(
        table[
            [
                "month",
                "metric",
                "segment_type",
                "segment",
                "reported",
                "restated",
                "change_",
                "cause_kinds",
                "causes",
                "reported_as_of",
                "restated_at",
            ]
        ].rename(columns={"change_": "change"}),
        hide_index=True,
        use_container_width=True,
    )


main()
