"""Render `docs/sources.md` and the dbt source YAML from the contract.

`csw contract --write` rewrites them; `csw contract --check` (and a test) fails
when they are out of date, so the docs always describe what the extract enforces.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dagster_project.contract import (
    FORMATS,
    FUTURE_OK,
    ROW_RATE_BASELINE_DAYS,
    ROW_RATE_FLOOR,
    ROW_RATE_MIN_VOLUME,
    ROW_RATE_RECENT_DAYS,
    SOURCES,
    TABLES,
    VALUE_RANGES,
    Table,
)
from dagster_project.lib.settings import EXPECTATIONS_DIR, REPO_ROOT
from dagster_project.lib.sources.profiles import ColumnMap, Profile, profiles

# the repository's own dbt project: the generated files belong to it, whatever CSW_DBT_PROJECT_DIR says
DBT_PROJECT_DIR = REPO_ROOT / "dbt"

HEADER = """# Sources: the input contract

<!-- Generated from dagster_project/contract.py by `csw contract --write`; do not edit by hand. -->

Each source system drops extracts into the landing folder (`$CSW_LANDING_DIR`, default `data/landing/`):

```
landing/<source>/<table>/<extract_date>/<any name>.{csv,jsonl,parquet}
```

- **Formats**: %s. CSV has a header row, comma-separated, `"`-quoted, UTF-8; an empty field is null.
  JSON lines has one object per line (`.jsonl`, `.ndjson` or `.json`); a missing key is null. Parquet columns may be typed or text.
- **Types**: `timestamp` is ISO-8601 and should carry an offset (`Z`, `+01:00`, `-0500`); one without an offset is read as UTC.
  Staging converts every timestamp to UTC. `integer` money columns are **minor units** (cents) in the row's `currency`.
  `boolean` accepts `true/false`, `t/f`, `1/0`.
- **Required** columns must be present in every file and non-empty in every row. Optional columns may be left out of a file entirely.
- **Updates** are expressed by sending the record again with a later `updated_at`: the latest version wins (ties: the later load wins).
  **Deletions** are soft: send the record with `is_deleted = true`. **Late rows** are fine: they may arrive in any later extract.
  **Duplicates** (the same version twice) are removed in staging.
- **What happens to bad input**: a file whose columns do not match (missing required column, unknown extra column) is copied to
  `$CSW_QUARANTINE_DIR/<source>/<table>/<extract_date>/` with a `.reason.txt` and loads nothing; a row with a malformed line, a
  missing required value or a value of the wrong type goes to `raw._quarantine_rows` with file, line, column and reason, and the
  file's other rows load. A file is loaded once: the load log (`raw._load_log`) records file, SHA-256, size, modification time, rows and
  time; dropping the same file again changes nothing (a file whose path, size and mtime are logged is not even re-read).
- **Each file is a load, judged once**: accepted when the blocking raw checks pass, rejected otherwise (quarantined rows count).
  A rejected load's rows reach no model or mart, and every run stops until a person sends a corrected file and retires it,
  or accepts it (`csw loads`; `docs/quality.md`, "When a run fails").

"""


POSTGRES_SECTION = """## Tables in PostgreSQL (instead of files)

Any contract table can be read from a PostgreSQL table or view instead of the landing folder. Bind it in
`dagster_project/postgres_bindings.yml` (contract table -> schema, table, cursor column) and set `CSW_PG_URL`
(for example `postgresql://csw_reader@db.internal:5432/app`; credentials only there, never in the repository
or the logs). Without `CSW_PG_URL` the bindings are ignored and every table comes from files. The defaults bind
what an application database usually holds: `crm/accounts` -> `app.accounts`, `billing/subscriptions` ->
`app.subscription_versions`, `product/users` -> `app.users`, each by `updated_at`.

- **Incremental and idempotent**: each run asks for the rows with cursor >= the last high-water mark minus an overlap
  (`CSW_PG_OVERLAP_MINUTES`, 10), so a row committed late with an `updated_at` up to 10 minutes before the mark is
  still read; older late rows are missed (widen the overlap if your application commits later than that). Rows come in
  batches of `CSW_PG_BATCH_ROWS` (50,000) ordered by cursor and key, each batch its own short query: no transaction is
  held between batches. Rows the overlap reads again (same key and cursor value) are dropped before loading, so a
  second run loads nothing. The mark (`raw._pg_cursors`) is written in the same transaction as its batch: a failure
  mid-way keeps the committed batches and nothing of the one in flight; the next run goes on from there.
- **Same contract, same checks**: each batch is written as a CSV file (`data/postgres/<source>/<table>/<date>/<load_id>.csv`)
  and loaded by the file loader: the contract's columns and types (every value is selected as text and typed as a CSV
  cell is), quarantine of bad rows, one load per batch with its verdict (`csw loads`). Columns the application has and the
  contract does not are not read. A required column dropped or renamed upstream stops the table: the batch is quarantined
  with the reason (`missing required column(s) ...`) and the mark does not move.
- **Lineage**: `_source_file` is `postgres:<schema>.<table>/<load_id>.csv`, `_source_line` the row's line in that file.
- **Updates and deletions**: an update is a new `updated_at`; a deletion is `is_deleted = true` (a row removed from the
  table is not seen: use the flag). A read-only role is enough (`SELECT` on the bound tables).
- **When**: every run reads the bound tables (the daily schedule, `csw run`, a run from the Dagster UI); the landing
  sensor watches files only, so a change in the database waits for the next scheduled run.
- `csw generate --to-postgres URL` moves the sample's bound tables into a database (one row per record, as an application
  keeps them); `make run-postgres` starts a throw-away server and runs the whole pipeline on it.

"""


STRIPE_SECTION = """## Stripe (billing from the API instead of files)

Set `CSW_STRIPE_API_KEY` and `billing/subscriptions`, `billing/invoices` and `billing/payments` are read from
Stripe's API with the official `stripe` SDK instead of the landing folder (every other table still comes from files
or PostgreSQL). Unset, nothing changes. The key is never printed, logged or stored: messages show `sk_live_...abcd`,
and the Dagster UI shows the variable's name, not its value.

| variable | default | meaning |
|---|---|---|
| `CSW_STRIPE_API_KEY` | (none: off) | a **restricted key** with *Read* on Customers, Products, Prices, Plans, Coupons, Subscriptions, Invoices (with invoice items), Charges and Events (Dashboard → Developers → API keys → Create restricted key); nothing is ever written to Stripe |
| `CSW_STRIPE_API_BASE` | `https://api.stripe.com` | another server speaking Stripe's API (localstripe in `make run-stripe` and the tests) |
| `CSW_STRIPE_ACCOUNT_KEY` | `account_id` | the customer metadata key that holds the CRM account id |
| `CSW_STRIPE_PLAN_KEY` | `plan` | the product (or price) metadata key that holds the contract's plan (`starter`, `growth`, `enterprise`); without it, the product's name, lowercased |

- **Which customer is which account**: `metadata[account_id]` on the Stripe customer (the key is configurable), else
  the CRM account whose `stripe_customer_id` is the customer's id (`crm/accounts`, optional column; Salesforce and
  HubSpot keep it in a custom field). Metadata wins where both are set; two CRM accounts claiming one customer stop
  the sync naming both. A customer with subscriptions, invoices or charges and neither stops the table's sync with
  a list of the customers (`cus_...`) and what to set; nothing of the table is loaded until they are mapped. The CRM
  is read as loaded when the billing table is read, so an account that gets its Stripe id in the same run as its
  first invoice is matched by the next run (nothing is lost: the sync's cursor does not move).
- **First sync, history included**: Stripe keeps no history table, so each subscription's past versions are rebuilt
  from what it keeps: every **invoice line** carries the billed period, price and quantity (a version from each billed
  period's start); a **proration line** starts at the moment of a mid-period change (the change is placed there; when
  only the unused time of the old state is billed, the new state is the next billed period's); **pending invoice
  items** (`pending=true`: the prorations of changes not invoiced yet, billed at the next renewal) count as the lines
  of that next invoice, so a yearly plan changed in May shows from May, not from next year's renewal; **events** of
  the last 30 days (`customer.subscription.*`) carry the whole subscription at that moment; the **subscription**
  itself gives its trial, cancellation and current items (today's state always shows: where it differs from what was
  billed at its period's start, it wins there). Consecutive equal states are one version. Subscriptions and invoices
  are read with `expand[]=data.discounts`: the current API names discounts by id and a discount cannot be fetched by
  id; an event's subscription (ids only) takes its discounts from those read expanded.
- **Later syncs** are incremental: the events since the table's cursor name the subscriptions, invoices and charges to
  read again; with no new event a sync reads the events list and nothing else, and loads nothing. The cursor
  (`raw._stripe_cursors`: newest event time and id per table) moves in the same transaction as the table's batch; a
  sync stopped half-way keeps the tables it finished, and the next run goes on from there. A cursor older than
  Stripe's 30 days of events reads everything again. Versions loaded before are kept as observations, so a change an
  earlier sync placed by its event stays where it was after Stripe forgets the event.
- **Same contract, same gate**: each table's rows are one CSV batch (`data/stripe/billing/<table>/<date>/<load_id>.csv`,
  rows `raw` already holds exactly are left out) loaded by the file loader: contract check, quarantine, verdict,
  `csw loads`. Lineage: `_source_file` is the Stripe object (`stripe:subscription/sub_...`, `stripe:invoice/in_...`,
  `stripe:charge/ch_...`). The server unreachable or the key refused fails the run naming Stripe; nothing is published.

**Stripe's semantics, as the warehouse counts them** (each has a test: `tests/test_stripe_semantics.py`,
`tests/test_stripe_source.py`):

| Stripe | in the contract, and why |
|---|---|
| `interval` month / year, `interval_count` | `billing_interval` month/year and `interval_count` (quarterly = month x 3); MRR divides by the months of the period |
| `interval` week / day | turned into a month by the connector (x 52/12, x 365/12, rounded to the minor unit): the contract's periods are months |
| `quantity`, several items | seats = the quantity of the item that bills the most; `recurring_amount` = the sum of all licensed items per period |
| metered prices (`usage_type = metered`) | no MRR: usage billed in arrears is variable, not committed recurring revenue (its invoices are still read) |
| tiered prices (volume, graduated) | the amount the tiers give for the quantity, in `recurring_amount` |
| coupons `forever` / `repeating` | percent off: `discount_percent`; amount off: taken off `recurring_amount`; a repeating coupon until its `end` (a new version there) |
| coupons `once` | no MRR effect: it lowers one invoice, not the recurring price |
| `trialing` | a `trialing` version from `trial_start`: no MRR until `trial_end`; a trial canceled before its end never earns MRR |
| `cancel_at_period_end`, `cancel_at` | MRR until the period ends: a `canceled` version at `current_period_end` (or `cancel_at`), in the future until then; taken back, it is sent again deleted |
| `canceled` | a `canceled` version at `ended_at`; `canceled_at` is when it was asked |
| `past_due`, `unpaid` | still MRR: the subscription runs until Stripe's retry settings cancel it (then churn) |
| `incomplete`, `incomplete_expired` | nothing: the first invoice was never paid, the subscription never started |
| `paused` (trial ended without a payment method), `pause_collection` | `canceled` from the moment seen (no money comes in); resuming is a reactivation |
| zero-decimal currencies (JPY, KRW, ...) | amounts are whole units and pass unchanged; the currencies seed gives JPY 0 minor digits, so nothing is divided by 100 |
| a customer whose currency changes | each subscription carries its own currency: a new subscription in the new currency (the old one ends) |
| deleted customers | read from their `customer.deleted` event (the list no longer shows them); their subscriptions end as Stripe ends them |
| invoices | `draft` skipped; `subtotal`, `tax` (`tax` or `total_taxes`), `total`; issued at `finalized_at`; due at `due_date` (charged automatically: issue time); a negative total (a credit to the balance) is 0 |
| payments | each charge with its invoice (`succeeded`, `failed` with its `failure_code`); a paid invoice with no readable charge (the current API's charges no longer name their invoice) is its own payment at `paid_at` |

Both API shapes are read: before 2025-03-31 (`invoice.subscription`, `line.price`, `subscription.discount`,
`current_period_*` on the subscription) and after (`invoice.parent.subscription_details`,
`line.pricing.price_details`, `discounts`, periods on items).

**What Stripe cannot carry as the files do**: a change Stripe neither prorated nor recorded in an event still kept
(a yearly plan changed with `proration_behavior=none` more than 30 days before the first sync) shows from the start of
the period that billed it, not from the day it was made; invoices have no `updated_at`, so an invoice's version time
is its latest status transition.

**The sample through Stripe** (`make run-stripe`, then `python bench/stripe_compare.py`; results in
`bench/results/stripe-compare-<date>.md`): the sample's subscription histories written into localstripe through the
SDK and synced back give the file-based run's marts **row for row** for everything built from subscriptions:
`mrr_movements`, `mrr_summary_monthly`, `nrr_monthly`, `saas_metrics_monthly`, `cohort_retention`,
`cohort_retention_triangle` and `onboarding_progress` (MRR, NRR and GRR to the cent). What differs comes from invoices
and payments only, because the sample writer writes subscriptions and lets Stripe bill them: Stripe invoices each
period itself and charges the card at once, so the sample's late and failed payments, its tax and its one-off fees
are not there. That moves the health score's financial component (and no other component) and, through it,
`account_health_weekly`, `churn_risk_alerts`, `cs_tasks`, `automation_audiences`, the health columns of `dim_accounts`,
`renewal_pipeline` and `csm_book_of_business`, and `health_score_backtest`. Subscription ids are Stripe's (`sub_...`).

**Sync time** (`python bench/stripe_sync.py --scale S|M`, against localstripe on this 2-core machine;
`bench/results/stripe-<scale>-<date>.md`): at S (200 accounts, 405 versions, 2,099 invoices) the first sync of
the three tables takes 17 s, a sync with nothing new 0.1 s (one request: is there an event newer than the
cursor?), a sync after one change 1.5 s. At M (5,000 accounts, 10,287 versions, 51,433 invoices) the first sync
took 903 s, of which 364 s were localstripe's own CPU, measured while the test suite shared the machine; a sync
after one change 62 s, most of it reading Stripe's 30-day event window, which every sync with news reads whole
(the subscriptions it reads again are rebuilt from their events of that window). Against api.stripe.com a sync
is bounded by Stripe's read rate limit (100 requests/s in live mode, 25 in test mode) at 100 objects a page.

**Tried against localstripe** (`make run-stripe`, the tests): localstripe has plans but no prices (the connector
reads plans, and prices where the server has them), no tiers, metered usage or paused collection (those rules are
tested on objects in the API's documented shapes: `tests/test_stripe_semantics.py`), and no passing time. The
project's `dagster_project/devtools/stripe_server.py` adds what the connector needs, as Stripe's API reference
describes it: test clocks (one clock for the server: renewals are invoiced, trials end and cancellations at period
end take effect as the clock moves), `customer.subscription.updated` events, discounts on subscriptions
(`discounts=[{"coupon": ...}]`, ids expandable, taken off invoice totals), `pending=true` on invoice items, and
Stripe's proration of a change (localstripe credits every earlier invoice in full, which turns positive after a
second change).

"""


# What each contract column a vendor profile fills is used for (docs/sources.md's vendor mapping tables).
USED_FOR: dict[str, str] = {
    "crm__accounts.account_id": "every mart's account key",
    "crm__accounts.account_name": "dim_accounts, cs_tasks, automation_audiences",
    "crm__accounts.industry": "dim_accounts",
    "crm__accounts.region": "dim_accounts, nrr_monthly by region",
    "crm__accounts.employee_band": "dim_accounts",
    "crm__accounts.csm_id": "csm_book_of_business, renewal_pipeline, cs_tasks routing",
    "crm__accounts.created_at": "dim_accounts",
    "crm__accounts.updated_at": "the latest version wins",
    "crm__accounts.is_deleted": "removes the account",
    "crm__accounts.stripe_customer_id": "matching Stripe customers to accounts",
    "crm__contacts.contact_id": "NPS and trainings by contact",
    "crm__contacts.account_id": "the contact's account",
    "crm__contacts.full_name": "(shown only)",
    "crm__contacts.email": "(shown only)",
    "crm__contacts.role": "health relationship points (champion, sponsor), cs_tasks (champion_left, sponsor_left)",
    "crm__contacts.is_active": "health relationship points, csm_book_of_business, dim_accounts",
    "crm__contacts.created_at": "contact history",
    "crm__contacts.updated_at": "the latest version wins; when a champion left",
    "crm__contacts.is_deleted": "removes the contact",
    "crm__csms.csm_id": "csm_book_of_business, cs_tasks",
    "crm__csms.csm_name": "csm_book_of_business, cs_tasks, dim_accounts",
    "crm__csms.email": "(shown only)",
    "crm__csms.team": "cs_tasks (the team lead's queue)",
    "crm__csms.updated_at": "the latest version wins",
    "crm__csms.is_deleted": "removes the CSM",
    "cs__meetings.meeting_id": "key",
    "cs__meetings.account_id": "the meeting's account",
    "cs__meetings.csm_id": "(shown only)",
    "cs__meetings.meeting_type": "health engagement points (a QBR in the last 91 days)",
    "cs__meetings.scheduled_at": "health engagement points",
    "cs__meetings.attended": "health engagement points (QBR attended)",
    "cs__meetings.updated_at": "the latest version wins",
    "cs__meetings.is_deleted": "removes the meeting",
    "cs__emails.email_id": "key",
    "cs__emails.account_id": "the e-mail's account",
    "cs__emails.csm_id": "(shown only)",
    "cs__emails.sent_at": "health engagement points (e-mails in the last 60 days)",
    "cs__emails.replied_at": "health engagement points (replies in the last 60 days)",
    "cs__emails.updated_at": "the latest version wins",
    "cs__emails.is_deleted": "removes the e-mail",
    "product__users.user_id": "seat holders",
    "product__users.account_id": "the user's account",
    "product__users.email": "(shown only)",
    "product__users.created_at": "(shown only)",
    "product__users.deactivated_at": "(shown only)",
    "product__users.updated_at": "the latest version wins",
    "product__users.is_deleted": "removes the user",
    "product__events.event_id": "deduplication",
    "product__events.account_id": "usage per account",
    "product__events.user_id": "active users (DAU per seat), onboarding",
    "product__events.event_name": "logins, core-feature adoption, onboarding milestones (via product_event_names)",
    "product__events.occurred_at": "the week and day of use",
    "support__tickets.ticket_id": "key",
    "support__tickets.account_id": "the ticket's account",
    "support__tickets.subject": "health_score_backtest (shown)",
    "support__tickets.priority": "health support points, cs_tasks, automation_audiences",
    "support__tickets.status": "open tickets",
    "support__tickets.created_at": "tickets per week, health support points",
    "support__tickets.solved_at": "health support points (time to solve, CSAT window)",
    "support__tickets.csat_score": "health support points (CSAT over 90 days)",
    "support__tickets.updated_at": "the latest version wins",
    "support__tickets.is_deleted": "removes the ticket",
}

VENDOR_HEADER = """## Vendor exports

A vendor's export is read as the vendor writes it, through one declarative profile per vendor
(`dagster_project/sources/profiles/<vendor>.yml`, read by `dagster_project/lib/sources/profiles.py`).
Drop the files under the vendor's folder instead of the source's:

```
landing/<vendor>/<object>/<extract_date>/<any name>.{csv,jsonl,jsonl.gz,json}
```

The profile maps each record to a contract row, and from there the file is a load like any other: the
contract check, quarantine with file and line (or the record's position in a page) and the vendor's
record kept, the load's verdict, lineage (`_source_file`, `_source_line`) and the gate. Differences from
a native file: fields the profile does not use are ignored (a Salesforce export has dozens); a field the
profile needs that is missing from a CSV header (a column an admin renamed) quarantines the file with the
field named and the fields found listed; a value outside a mapped enumeration (a new picklist value) is a
row problem naming the record's id, line and field. Mixing is fine: CRM from Salesforce, events from
Segment, tickets from Zendesk and the rest native (`make run-saas`). **NPS responses, the CS team's
trainings and the product's feature catalogue stay in the native contract** (none of these vendors holds
them), and so does billing unless it comes from Stripe's API. Every source that names an account must use
the CRM's account id (a Salesforce Account Id, a HubSpot company id): Segment's `groupId`, Zendesk's
organization `external_id`, billing's `account_id`.

`csw generate --format salesforce|hubspot|segment|zendesk|saas` writes the sample in these formats (from
the vendors' documentation, like the profiles); `--native-reference` writes the native contract with the
same ids and only what the vendors carry, which a run on the vendor files equals mart for mart
(`tests/test_vendor_equivalence.py`).

A new vendor is one more profile file and its tests, no code: copy the nearest profile, map the vendor's
fields from its documentation, type a small export from the same documentation into a test.

"""


def _tables_of(profile: Profile) -> set[str]:
    return {t.table.raw_name for o in profile.objects.values() for t in o.tables}


def _shown(value: object) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _conversion(c: ColumnMap) -> str:
    parts = []
    if c.convert == "bands":
        parts.append("band: " + ", ".join(f"≤{int(u)} {label}" if u is not None else label for u, label in c.bands))
    elif c.convert:
        parts.append(c.convert)
    if c.values is not None:
        shown = ", ".join(f"{k}→{_shown(v)}" for k, v in c.values.items())
        rest = {
            "keep": "; others as sent",
            "error": "; others a row problem",
            "otherwise": f"; others {_shown(c.otherwise)}",
        }
        parts.append(shown + rest[c.unmapped])
    if c.default is not None:
        parts.append(f"empty→{c.default}")
    for step in c.lookup:
        where = "in the same page" if step.kind == "records" else "in every file of that object"
        parts.append(f"looked up: the {step.name} record whose {step.key} is it ({where})")
    if c.optional:
        parts.append("may be absent")
    return "; ".join(parts)


def render_vendor_section() -> str:
    out = [VENDOR_HEADER]
    out.append(
        "Profiles: "
        + ", ".join(f"{p.title} (`{p.path.name}`: {', '.join(sorted(_tables_of(p)))})" for p in profiles())
        + ".\n"
    )
    for profile in profiles():
        out.append(f"### {profile.title} (`landing/{profile.vendor}/`, `{profile.path.name}`)\n")
        out.append(f"Format: {profile.format}. Documentation: <{profile.docs}>.\n")
        out.append(f"**Producing the export.** {profile.export}\n")
        if profile.notes:
            out.append(f"{profile.notes}\n")
        for obj in profile.objects.values():
            if obj.lookup_only:
                out.append(
                    f"`{obj.name}` (<{obj.docs}>) loads nothing itself: it is read for the lookups below, every file "
                    f"of it, the latest `{obj.version}` of each record winning.\n"
                )
                continue
            for tmap in obj.tables:
                where = (
                    " where " + ", ".join(f"`{k}` is {' or '.join(v)}" for k, v in tmap.where.items())
                    if tmap.where
                    else ""
                )
                skip = (
                    f"; records without {', '.join(tmap.skip_without)} are read past and counted"
                    if tmap.skip_without
                    else ""
                )
                out.append(f"#### `{obj.name}`{where} → `raw.{tmap.table.raw_name}`{skip}\n")
                out.append(f"<{obj.docs}>\n")
                out.append(f"| {profile.title} field | conversion | contract column | used for |")
                out.append("|---|---|---|---|")
                for c in tmap.columns:
                    out.append(
                        f"| `{c.describe(profile.vendor)}` | {_conversion(c)} | `{c.column}` | "
                        f"{USED_FOR.get(f'{tmap.table.raw_name}.{c.column}', '')} |"
                    )
                for column, why in tmap.not_carried.items():
                    out.append(f"| (not carried) | | `{column}` | {why} |")
                out.append("")
    return "\n".join(out)


def render_sources_md() -> str:
    out = [HEADER % ", ".join(FORMATS), POSTGRES_SECTION, STRIPE_SECTION, render_vendor_section()]
    for source, description in SOURCES.items():
        out.append(f"## `{source}`: {description}\n")
        for t in (t for t in TABLES if t.source == source):
            out.append(f"### `{source}/{t.name}` → `raw.{t.raw_name}`\n")
            out.append(f"{t.description} Key: `{', '.join(t.key)}`. Sample data format: {t.sample_format}.\n")
            out.append("| column | type | required | meaning | example |")
            out.append("|---|---|---|---|---|")
            for c in t.columns:
                meaning = c.meaning
                if c.name in t.accepted_values:
                    meaning += f" (one of: {', '.join(t.accepted_values[c.name])})"
                out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {meaning} | `{c.example}` |")
            out.append("")
    return "\n".join(out)


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dbt_sources(source: str) -> str:
    lines = [
        "# Generated from dagster_project/contract.py by `csw contract --write`; do not edit by hand.",
        "version: 2",
        "",
        "sources:",
        f"  - name: {source}",
        f"    description: {_yaml_str(SOURCES[source])}",
        # views over raw holding accepted loads only (dagster_project/loads.py): a rejected load never reaches dbt
        "    schema: raw_accepted",
        "    config:",
        "      loaded_at_field: _loaded_at",
        "    tables:",
    ]
    for t in (t for t in TABLES if t.source == source):
        lines += _table_yaml(t)
    return "\n".join(lines) + "\n"


def _table_yaml(t: Table) -> list[str]:
    # No dbt tests on sources: the extract enforces the contract and the GX raw suites check each
    # batch. (A dbt test on a source would also make Dagster exempt the dbt step from the raw
    # assets' blocking checks, since that step would then be checking its own upstream.)
    lines = [
        f"      - name: {t.name}",
        f"        identifier: {t.raw_name}",
        f"        description: {_yaml_str(t.description)}",
        "        config:",
    ]
    warn, error = freshness_thresholds().get(t.raw_name, (None, None))
    if warn is None and error is None:
        lines.append("          freshness: null  # dbt/seeds/freshness_thresholds.csv: never stale")
    else:
        lines.append("          freshness:  # dbt/seeds/freshness_thresholds.csv")
        if warn is not None:
            lines.append(f"            warn_after: {{count: {warn}, period: hour}}")
        if error is not None:
            lines.append(f"            error_after: {{count: {error}, period: hour}}")
    lines.append("        columns:")
    for c in t.columns:
        lines.append(f"          - name: {c.name}")
        lines.append(f"            description: {_yaml_str(c.meaning)}")
    return lines


def freshness_thresholds() -> dict[str, tuple[int | None, int | None]]:
    """Per raw table, (warn, error) hours from dbt/seeds/freshness_thresholds.csv (None: no threshold)."""
    with (DBT_PROJECT_DIR / "seeds" / "freshness_thresholds.csv").open() as fh:
        return {
            row["source_table"]: tuple(
                int(row[k]) if row[k] else None for k in ("warn_after_hours", "error_after_hours")
            )
            for row in csv.DictReader(fh)
        }


def render_record_times_macro() -> str:
    """`contract_record_times()`: per raw table, its dbt source and the column with each record's own time."""
    entries = ",\n".join(
        f"        {{'source': '{t.source}', 'table': '{t.name}', 'raw': '{t.raw_name}', 'column': '{t.loaded_at_column}'}}"
        for t in TABLES
    )
    return (
        "{#- Generated from dagster_project/contract.py by `csw contract --write`; do not edit by hand.\n"
        "    Per raw table: its dbt source and the column holding each record's own time, the newest of which\n"
        "    the source_freshness mart compares with the as-of date. -#}\n"
        "{% macro contract_record_times() %}\n"
        "    {{ return([\n" + entries + "\n    ]) }}\n"
        "{% endmacro %}\n"
    )


def known_currencies() -> list[str]:
    with (DBT_PROJECT_DIR / "seeds" / "currencies.csv").open() as fh:
        return sorted(row["currency"] for row in csv.DictReader(fh))


def render_raw_suite(t: Table) -> str:
    """The Great Expectations suite for one raw table, validated on each newly loaded batch."""
    e: list[dict] = []

    def add(kind: str, note: str, **kwargs: object) -> None:
        e.append({"type": kind, "kwargs": kwargs, "meta": {"notes": note}})

    # The contract's shape (columns present, typed, required values set) is the extract's to enforce:
    # a file without a required column or with an unknown one is quarantined, a row with a missing or
    # unreadable value too, and raw's columns are created from the contract. Checking it again here
    # cost a GX validation per table and a scan per required column on every run (session 7).
    for c in t.columns:
        if c.name in VALUE_RANGES:
            lo, hi = VALUE_RANGES[c.name]
            add(
                "expect_column_values_to_be_between",
                "amounts and scores in range",
                column=c.name,
                min_value=lo,
                max_value=hi,
            )
        if c.name == "currency":
            add(
                "expect_column_values_to_be_in_set",
                "currency in dbt/seeds/currencies.csv",
                column=c.name,
                value_set=known_currencies(),
            )
        if c.type == "timestamp" and c.name not in FUTURE_OK:
            add(
                "expect_column_values_to_be_between",
                "not in the future (load time + 1 day)",
                column=c.name,
                max_value={"$PARAMETER": "max_timestamp"},
            )
    version = [t.version_column] if t.version_column else []
    keys = ", ".join(list(t.key) + version)
    add(
        # our own type (dagster_project/gx_expectations.py): GX's would run this aggregation twice
        "expect_query_to_return_no_rows",
        f"one record per key and version ({keys}); exact duplicates are allowed and removed in staging",
        # Only keys that arrive more than once can conflict: finding them first is one cheap
        # aggregation, instead of a distinct over every column of every row (2x faster on 28M events).
        # {batch} twice rather than a CTE: DuckDB materialises a CTE used twice, in memory (out of
        # memory on 278M events with a 2 GB limit), where the aggregation spills to disk.
        unexpected_rows_query=f"with copied as (select {keys} from {{batch}} group by {keys} having count(*) > 1) "
        f"select {keys}, count(*) as versions from (select distinct {', '.join(t.column_names)} "
        f"from {{batch}} inner join copied using ({keys})) as distinct_rows group by {keys} having count(*) > 1",
    )
    if t.steady_volume:
        add(
            "unexpected_rows_expectation",
            f"rows per day over the last {ROW_RATE_RECENT_DAYS} days of extracts at least {ROW_RATE_FLOOR:.0%} of the "
            f"{ROW_RATE_BASELINE_DAYS} days before (checked when those had {ROW_RATE_MIN_VOLUME}+ rows)",
            unexpected_rows_query=(
                # rows per extract date from the load log, not a scan of the whole raw table
                "with extracts as (select cast(extract_date as date) as d, sum(rows_loaded) as n from raw._load_log "
                # rejected and retired loads are no baseline; pending ones are the batch being judged
                f"where table_name = '{t.raw_name}' and status = 'loaded' and verdict in ('accepted', 'pending') "
                "group by 1), "
                "spans as (select d, n, date_diff('day', lag(d) over (order by d), d) as days from extracts), "
                # the batch's extract date from the load log: a Stripe row's _source_file names its object
                "newest as (select cast(max(l.extract_date) as date) as d from raw._load_log as l "
                "where l.load_id in (select _load_id from {batch})), "
                "windows as (select "
                f"sum(case when s.d > newest.d - {ROW_RATE_RECENT_DAYS} then s.n end) as recent_rows, "
                f"sum(case when s.d > newest.d - {ROW_RATE_RECENT_DAYS} then s.days end) as recent_days, "
                f"sum(case when s.d <= newest.d - {ROW_RATE_RECENT_DAYS} then s.n end) as baseline_rows, "
                f"sum(case when s.d <= newest.d - {ROW_RATE_RECENT_DAYS} then s.days end) as baseline_days "
                "from spans as s cross join newest where s.days > 0 and s.d <= newest.d "
                f"and s.d > newest.d - {ROW_RATE_RECENT_DAYS + ROW_RATE_BASELINE_DAYS}) "
                "select *, recent_rows / recent_days as recent_per_day, baseline_rows / baseline_days as baseline_per_day "
                f"from windows where baseline_rows >= {ROW_RATE_MIN_VOLUME} "
                f"and recent_rows * baseline_days < {ROW_RATE_FLOOR} * baseline_rows * recent_days"
            ),
        )
    suite = {
        "name": f"raw.{t.raw_name}",
        "expectations": e,
        "meta": {"generated_from": "dagster_project/contract.py (csw contract --write)"},
    }
    return json.dumps(suite, indent=2) + "\n"


FIXTURES_DIR = DBT_PROJECT_DIR / "tests" / "fixtures"


def render_every_rule_fixtures() -> dict[Path, str]:
    """The every-rule unit test of account_health_weekly, expanded from two short files: each declared
    measure's lowest-scoring value (`every_rule_base.csv`, one line per measure) and the cases
    (`every_rule_cases.csv`: a rule, the value its measure takes, the hand-computed score). Each case is one
    account whose measures all sit at their base value except the rule's own."""
    import csv
    import io

    import yaml

    declared = [
        m
        for ms in yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["health_measures"].values()
        for m in ms
    ]
    with (FIXTURES_DIR / "every_rule_base.csv").open(newline="") as fh:
        base = {r["measure"]: r["lowest_scoring_value"] for r in csv.DictReader(fh)}
    if sorted(base) != sorted(declared):
        raise ValueError(
            f"{FIXTURES_DIR / 'every_rule_base.csv'} must give each declared health measure (dbt_project.yml, "
            f"health_measures) its lowest-scoring value: missing {sorted(set(declared) - set(base))}, "
            f"not declared {sorted(set(base) - set(declared))}"
        )
    with (DBT_PROJECT_DIR / "seeds" / "health_rules.csv").open(newline="") as fh:
        metric_of = {r["rule_id"]: r["metric"] for r in csv.DictReader(fh)}
    facts, scores = io.StringIO(), io.StringIO()
    fw, sw = csv.writer(facts, lineterminator="\n"), csv.writer(scores, lineterminator="\n")
    fw.writerow(["account_id", "week_start", "is_complete", *declared])
    sw.writerow(["account_id", "health_score"])
    with (FIXTURES_DIR / "every_rule_cases.csv").open(newline="") as fh:
        for case in csv.DictReader(fh):
            if case["rule_id"] not in metric_of:
                raise ValueError(f"every_rule_cases.csv: rule {case['rule_id']} is not in seeds/health_rules.csv")
            account = f"{case['rule_id']}@{case['value'] or 'missing'}"
            values = {**base, metric_of[case["rule_id"]]: case["value"]}
            fw.writerow([account, "2026-01-05", "true", *(values[m] for m in declared)])
            sw.writerow([account, case["health_score"]])
    return {
        FIXTURES_DIR / "every_rule_facts.csv": facts.getvalue(),
        FIXTURES_DIR / "every_rule_scores.csv": scores.getvalue(),
    }


def generated_files() -> dict[Path, str]:
    files = {REPO_ROOT / "docs" / "sources.md": render_sources_md()}
    files |= render_every_rule_fixtures()
    files[DBT_PROJECT_DIR / "macros" / "contract_record_times.sql"] = render_record_times_macro()
    for t in TABLES:
        files[EXPECTATIONS_DIR / "raw" / f"{t.raw_name}.json"] = render_raw_suite(t)
    for source in SOURCES:
        files[DBT_PROJECT_DIR / "models" / "staging" / source / f"_{source}__sources.yml"] = render_dbt_sources(source)
    return files


def stale_files() -> list[Path]:
    return [p for p, text in generated_files().items() if not p.exists() or p.read_text() != text]


def write_files() -> list[Path]:
    written = []
    for path, text in generated_files().items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written
