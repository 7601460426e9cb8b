"""The input contract: every source table, its columns and types.

This module is the single source of truth for what an extract must look like.
The extract assets validate files against it, the sample-data generator writes
it, and `docs/sources.md` plus the dbt source YAML are generated from it
(`csw contract --write`), so the three can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Contract type -> DuckDB type used in the raw schema.
DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
}

FORMATS = ("csv", "jsonl", "parquet")

# Quality policy: what the raw suites (generated from this contract by `csw contract --write`) check
# beyond the columns and their types.
# Amounts, counts and scores and the range they must lie in.
VALUE_RANGES: dict[str, tuple[int, int | None]] = {
    "quantity": (0, None),
    "unit_amount": (0, None),
    "discount_percent": (0, 100),
    "subtotal": (0, None),
    "tax": (0, None),
    "total": (0, None),
    "amount": (0, None),
    "score": (0, 10),
    "csat_score": (1, 5),
}
# Timestamps that may legitimately lie in the future (plans, due dates, scheduled changes).
FUTURE_OK = {"scheduled_at", "due_at", "trial_end_at", "effective_at"}
# Rows per day of the last week of extracts must reach this share of the four weeks before
# (weeks rather than single extracts, so that a quiet Sunday is not taken for a broken export).
ROW_RATE_FLOOR = 0.6
ROW_RATE_RECENT_DAYS = 7
ROW_RATE_BASELINE_DAYS = 28
ROW_RATE_MIN_VOLUME = 100


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    meaning: str
    example: str

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    source: str
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    sample_format: str
    # The column whose latest value wins when a record arrives more than once.
    version_column: str | None = "updated_at"
    # The column dbt source freshness looks at.
    loaded_at_column: str = "updated_at"
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # An activity stream whose rows per day are steady enough that a sudden drop means a broken
    # export (checked by the raw suite); lumpy tables like users or subscriptions are not.
    steady_volume: bool = False

    @property
    def raw_name(self) -> str:
        return f"{self.source}__{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, type_: str, required: bool, meaning: str, example: str) -> Column:
    return Column(name, type_, required, meaning, example)


_UPDATED = _c(
    "updated_at",
    "timestamp",
    True,
    "When this version of the record was written; the latest wins",
    "2025-03-04T09:12:00Z",
)
_DELETED = _c(
    "is_deleted", "boolean", False, "Soft-delete flag: true removes the record downstream (empty = false)", "false"
)

SOURCES: dict[str, str] = {
    "crm": "CRM (Salesforce-style export): accounts, contacts and the CS team",
    "billing": "Billing (Stripe-style export): subscription history, invoices and payments",
    "product": "Product telemetry (Segment-style): users (seats), events and the feature catalogue",
    "support": "Support desk (Zendesk-style API export): tickets",
    "surveys": "Survey tool: NPS responses",
    "cs": "CS platform (Gainsight-style): meetings/QBRs, trainings and CSM emails",
}

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
CONTACT_ROLES = ("champion", "executive_sponsor", "admin", "user")
PLANS = ("starter", "growth", "enterprise")

TABLES: tuple[Table, ...] = (
    Table(
        "crm",
        "accounts",
        "One row per customer account (company).",
        ("account_id",),
        (
            _c("account_id", "string", True, "Account key", "ACC-000042"),
            _c("account_name", "string", True, "Company name", "Nimbus Analytics 42"),
            _c("industry", "string", False, "Industry", "Software"),
            _c("region", "string", True, "Sales region", "EMEA"),
            _c("employee_band", "string", False, "Company size band", "51-200"),
            _c("csm_id", "string", False, "Owning customer success manager", "CSM-003"),
            _c("created_at", "timestamp", True, "When the account was created in the CRM", "2024-11-02T15:20:00Z"),
            _UPDATED,
            _DELETED,
            _c(
                "stripe_customer_id",
                "string",
                False,
                "The account's Stripe customer (cus_...): matches Stripe billing to the account when the "
                "customer lacks the metadata key (CSW_STRIPE_ACCOUNT_KEY)",
                "cus_NffrFeUfNV2Hib",
            ),
        ),
        "csv",
        accepted_values={"region": REGIONS},
    ),
    Table(
        "crm",
        "contacts",
        "People at customer accounts and their role.",
        ("contact_id",),
        (
            _c("contact_id", "string", True, "Contact key", "CON-0000421"),
            _c("account_id", "string", True, "Account the contact works for", "ACC-000042"),
            _c("full_name", "string", False, "Name", "Ada Example"),
            _c("email", "string", False, "E-mail address", "ada@example.com"),
            _c("role", "string", True, "champion, executive_sponsor, admin or user", "champion"),
            _c("is_active", "boolean", True, "False once the person left or lost the role", "true"),
            _c("created_at", "timestamp", True, "When the contact was created", "2024-11-02T15:20:00Z"),
            _UPDATED,
            _DELETED,
        ),
        "csv",
        accepted_values={"role": CONTACT_ROLES},
    ),
    Table(
        "crm",
        "csms",
        "Customer success managers.",
        ("csm_id",),
        (
            _c("csm_id", "string", True, "CSM key", "CSM-003"),
            _c("csm_name", "string", True, "Name", "Grace Hopper"),
            _c("email", "string", False, "E-mail address", "grace@vendor.example"),
            _c("team", "string", False, "Team (usually the region)", "EMEA"),
            _UPDATED,
            _DELETED,
        ),
        "csv",
    ),
    Table(
        "billing",
        "subscriptions",
        "Full change history of subscriptions: one row per version, in force from `effective_at` until the next version.",
        ("subscription_id", "effective_at"),
        (
            _c("subscription_id", "string", True, "Subscription key", "SUB-0000421"),
            _c("account_id", "string", True, "Paying account", "ACC-000042"),
            _c("plan", "string", True, "starter, growth or enterprise", "growth"),
            _c("billing_interval", "string", True, "month or year", "year"),
            _c("quantity", "integer", True, "Licensed seats", "25"),
            _c("unit_amount", "integer", True, "List price per seat per billing interval, minor units", "54000"),
            _c("currency", "string", True, "ISO 4217 code", "EUR"),
            _c("discount_percent", "decimal", False, "Recurring discount in percent (empty = none)", "10"),
            _c("status", "string", True, "trialing, active or canceled", "active"),
            _c("trial_end_at", "timestamp", False, "End of the free trial, if any", "2024-11-16T00:00:00+00:00"),
            _c("started_at", "timestamp", True, "Start of the subscription (first term)", "2024-11-02T00:00:00+00:00"),
            _c("effective_at", "timestamp", True, "When this version takes effect", "2025-02-14T10:00:00+00:00"),
            _c("canceled_at", "timestamp", False, "When the customer asked to cancel", "2025-09-01T08:00:00+00:00"),
            _UPDATED,
            _DELETED,
            _c(
                "interval_count",
                "integer",
                False,
                "Billing intervals per billing period (empty = 1): quarterly is `month` x 3",
                "3",
            ),
            _c(
                "recurring_amount",
                "integer",
                False,
                "Recurring amount per billing period of all the subscription's priced items, before "
                "`discount_percent`, minor units (empty = quantity x unit_amount); for several items or tiered prices",
                "135000",
            ),
        ),
        "csv",
        accepted_values={
            "plan": PLANS,
            "billing_interval": ("month", "year"),
            "status": ("trialing", "active", "canceled"),
        },
    ),
    Table(
        "billing",
        "invoices",
        "Invoices, recurring and one-off, with tax and payment state.",
        ("invoice_id",),
        (
            _c("invoice_id", "string", True, "Invoice key", "INV-00004211"),
            _c("account_id", "string", True, "Billed account", "ACC-000042"),
            _c("subscription_id", "string", False, "Subscription billed (empty for one-off fees)", "SUB-0000421"),
            _c("invoice_type", "string", True, "recurring or one_off", "recurring"),
            _c("currency", "string", True, "ISO 4217 code", "EUR"),
            _c("subtotal", "integer", True, "Amount before tax, minor units", "48600"),
            _c("tax", "integer", True, "Tax, minor units", "9234"),
            _c("total", "integer", True, "subtotal + tax, minor units", "57834"),
            _c("issued_at", "timestamp", True, "Issue time", "2025-02-14T10:00:00+00:00"),
            _c("due_at", "timestamp", True, "Payment due", "2025-03-16T10:00:00+00:00"),
            _c("paid_at", "timestamp", False, "When it was paid in full", "2025-03-20T11:03:00+00:00"),
            _c("status", "string", True, "open, paid, void or uncollectible", "paid"),
            _UPDATED,
            _DELETED,
        ),
        "csv",
        accepted_values={"invoice_type": ("recurring", "one_off"), "status": ("open", "paid", "void", "uncollectible")},
        steady_volume=True,
    ),
    Table(
        "billing",
        "payments",
        "Payment attempts against invoices, failed ones included.",
        ("payment_id",),
        (
            _c("payment_id", "string", True, "Payment key", "PAY-000042110"),
            _c("invoice_id", "string", True, "Invoice paid", "INV-00004211"),
            _c("account_id", "string", True, "Paying account", "ACC-000042"),
            _c("amount", "integer", True, "Amount attempted, minor units", "57834"),
            _c("currency", "string", True, "ISO 4217 code", "EUR"),
            _c("status", "string", True, "succeeded or failed", "succeeded"),
            _c("failure_reason", "string", False, "Why a payment failed", "card_declined"),
            _c("created_at", "timestamp", True, "Attempt time", "2025-03-20T11:03:00+00:00"),
            _UPDATED,
            _DELETED,
        ),
        "csv",
        accepted_values={"status": ("succeeded", "failed")},
        steady_volume=True,
    ),
    Table(
        "product",
        "users",
        "Product users: each holds a licensed seat while active.",
        ("user_id",),
        (
            _c("user_id", "string", True, "User key", "USR-000042-0007"),
            _c("account_id", "string", True, "Account", "ACC-000042"),
            _c("email", "string", False, "Login e-mail", "user7@acc42.example"),
            _c("created_at", "timestamp", True, "Invited at", "2024-11-03T09:00:00-05:00"),
            _c("deactivated_at", "timestamp", False, "Removed at", "2025-06-01T12:00:00-05:00"),
            _UPDATED,
            _DELETED,
        ),
        "csv",
    ),
    Table(
        "product",
        "features",
        "The catalogue of product features; `is_core` marks the ones health scoring counts.",
        ("feature_name",),
        (
            _c("feature_name", "string", True, "Event name emitted when the feature is used", "dashboard_view"),
            _c("category", "string", False, "Feature area", "reporting"),
            _c("is_core", "boolean", True, "Counts towards core-feature adoption", "true"),
            _UPDATED,
        ),
        "csv",
    ),
    Table(
        "product",
        "events",
        "Telemetry events; `login` marks a user's session start.",
        ("event_id",),
        (
            _c("event_id", "string", True, "Event key (unique per event)", "e1b0c2d3"),
            _c("account_id", "string", True, "Account", "ACC-000042"),
            _c("user_id", "string", True, "User", "USR-000042-0007"),
            _c("event_name", "string", True, "`login` or a feature name", "dashboard_view"),
            _c("occurred_at", "timestamp", True, "When it happened", "2025-03-04T09:12:00Z"),
        ),
        "parquet",
        version_column=None,
        loaded_at_column="occurred_at",
        steady_volume=True,
    ),
    Table(
        "support",
        "tickets",
        "Support tickets with their latest state.",
        ("ticket_id",),
        (
            _c("ticket_id", "string", True, "Ticket key", "TCK-00004211"),
            _c("account_id", "string", True, "Requesting account", "ACC-000042"),
            _c("subject", "string", False, "Subject line", "Export fails"),
            _c("priority", "string", True, "low, normal, high or urgent", "high"),
            _c("status", "string", True, "new, open, pending, solved or closed", "solved"),
            _c("created_at", "timestamp", True, "Opened at", "2025-03-04T09:12:00-08:00"),
            _c("solved_at", "timestamp", False, "Solved at", "2025-03-05T10:00:00-08:00"),
            _c("csat_score", "integer", False, "Satisfaction rating 1-5, if rated", "4"),
            _UPDATED,
            _DELETED,
        ),
        "jsonl",
        accepted_values={
            "priority": ("low", "normal", "high", "urgent"),
            "status": ("new", "open", "pending", "solved", "closed"),
        },
        steady_volume=True,
    ),
    Table(
        "surveys",
        "nps_responses",
        "NPS survey responses.",
        ("response_id",),
        (
            _c("response_id", "string", True, "Response key", "NPS-0000421"),
            _c("account_id", "string", True, "Account", "ACC-000042"),
            _c("contact_id", "string", True, "Respondent", "CON-0000421"),
            _c("score", "integer", True, "0-10", "9"),
            _c("comment", "string", False, "Free text", "Great support"),
            _c("responded_at", "timestamp", True, "Answered at", "2025-03-04T09:12:00+01:00"),
            _UPDATED,
            _DELETED,
        ),
        "csv",
    ),
    Table(
        "cs",
        "meetings",
        "Meetings between the CSM and the customer, QBRs included.",
        ("meeting_id",),
        (
            _c("meeting_id", "string", True, "Meeting key", "MTG-0000421"),
            _c("account_id", "string", True, "Account", "ACC-000042"),
            _c("csm_id", "string", False, "CSM who ran it", "CSM-003"),
            _c("meeting_type", "string", True, "qbr, check_in or onboarding", "qbr"),
            _c("scheduled_at", "timestamp", True, "Planned start", "2025-03-04T15:00:00+01:00"),
            _c("attended", "boolean", False, "Whether the customer attended (empty until it happened)", "true"),
            _UPDATED,
            _DELETED,
        ),
        "jsonl",
        accepted_values={"meeting_type": ("qbr", "check_in", "onboarding")},
    ),
    Table(
        "cs",
        "trainings",
        "Trainings completed by customer contacts.",
        ("training_id",),
        (
            _c("training_id", "string", True, "Training key", "TRN-0000421"),
            _c("account_id", "string", True, "Account", "ACC-000042"),
            _c("contact_id", "string", False, "Who completed it", "CON-0000421"),
            _c("course", "string", True, "Course name", "admin_basics"),
            _c("completed_at", "timestamp", True, "Completion time", "2025-03-04T15:00:00+01:00"),
            _UPDATED,
            _DELETED,
        ),
        "jsonl",
    ),
    Table(
        "cs",
        "emails",
        "E-mails sent by CSMs and whether the customer replied.",
        ("email_id",),
        (
            _c("email_id", "string", True, "E-mail key", "EML-00004211"),
            _c("account_id", "string", True, "Account", "ACC-000042"),
            _c("csm_id", "string", False, "Sender", "CSM-003"),
            _c("sent_at", "timestamp", True, "Sent at", "2025-03-04T15:00:00+01:00"),
            _c("replied_at", "timestamp", False, "First reply from the customer", "2025-03-05T08:00:00+01:00"),
            _UPDATED,
            _DELETED,
        ),
        "jsonl",
        steady_volume=True,
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.raw_name: t for t in TABLES}


def table(source: str, name: str) -> Table:
    return TABLES_BY_NAME[f"{source}__{name}"]
