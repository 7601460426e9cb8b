"""The sample in the vendors' own export formats: Salesforce, HubSpot, Segment and Zendesk.

Each writer follows the vendor's public documentation (the same pages the profiles in
`dagster_project/sources/profiles/` cite), not the profiles: Salesforce Bulk API 2.0 CSV with API field
names, 18-character ids and ISO 8601 times with milliseconds; HubSpot CRM v3 records as JSON lines;
Segment Spec calls as a storage destination writes them (gzipped JSON lines, all call types mixed);
Zendesk Incremental Export API pages with sideloaded metric sets. A vendor's ids replace the sample's
everywhere (an account is a Salesforce Account Id in billing and NPS too), as they would in a company
that runs on that vendor.

What a vendor cannot carry (`carried`) is dropped from what it writes. `native_reference` writes the
native contract instead, with the same ids and the same losses: a native run on it must publish exactly
the marts a run on the vendor files publishes (tests/test_vendor_profiles.py).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from dagster_project.generator.landing import LandingWriter

VENDOR_FORMATS = ("salesforce", "hubspot", "segment", "zendesk")
# the contract sources each vendor format writes
VENDOR_SOURCES = {
    "salesforce": ("crm", "cs"),
    "hubspot": ("crm", "cs"),
    "segment": ("product",),
    "zendesk": ("support",),
}
# `saas`: the mix `make run-saas` runs
FORMAT_ALIASES = {"saas": ("salesforce", "segment", "zendesk"), "native": ()}
SEED_EVENT_NAMES = Path(__file__).resolve().parents[2] / "dbt" / "seeds" / "product_event_names.csv"
# the tables a vendor writes; crm__accounts also feeds Zendesk's organizations
VENDOR_TABLES = {
    "salesforce": {"crm__accounts", "crm__contacts", "crm__csms", "cs__meetings", "cs__emails"},
    "hubspot": {"crm__accounts", "crm__contacts", "crm__csms", "cs__meetings", "cs__emails"},
    "segment": {"product__users", "product__events"},
    "zendesk": {"support__tickets"},
}
# a representative head count for each employee band (Salesforce NumberOfEmployees, HubSpot numberofemployees)
BAND_EMPLOYEES = {"1-50": 30, "51-200": 120, "201-1000": 450, "1000+": 2500}
HUBSPOT_INDUSTRY = {
    "Software": "COMPUTER_SOFTWARE",
    "Financial Services": "FINANCIAL_SERVICES",
    "Healthcare": "HOSPITAL_HEALTH_CARE",
    "Retail": "RETAIL",
    "Manufacturing": "MACHINERY",
    "Education": "EDUCATION_MANAGEMENT",
    "Media": "MEDIA_PRODUCTION",
}
SF_ROLE = {"champion": "Champion", "executive_sponsor": "Executive Sponsor", "admin": "Admin", "user": "User"}
MEETING_TYPE = {"qbr": "QBR", "check_in": "Check-in", "onboarding": "Onboarding"}
ZENDESK_PAGE = 1000  # records per incremental export page


def parse_formats(values: list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """`["salesforce", "segment"]` or `["saas"]` -> {contract source: vendor}; raises ValueError naming the choices."""
    chosen: list[str] = []
    for value in values or ():
        for name in (v.strip() for v in value.split(",")):
            if name in FORMAT_ALIASES:
                chosen.extend(FORMAT_ALIASES[name])
            elif name in VENDOR_FORMATS:
                chosen.append(name)
            elif name:
                raise ValueError(
                    f"unknown format '{name}': choose native, {', '.join(VENDOR_FORMATS)} or saas "
                    "(salesforce, segment and zendesk), several separated by commas"
                )
    by_source: dict[str, str] = {}
    for vendor in chosen:
        for source in VENDOR_SOURCES[vendor]:
            if by_source.get(source, vendor) != vendor:
                raise ValueError(f"{by_source[source]} and {vendor} both write {source}: choose one")
            by_source[source] = vendor
    return by_source


def _number(native_id: str) -> int:
    """The sample's id as one number: its digits (`CON-000003-00002` -> 300002; unique, as the parts are fixed-width)."""
    return int("".join(ch for ch in str(native_id) if ch.isdigit()))


def salesforce_id(prefix: str, n: int) -> str:
    """An 18-character Salesforce id: key prefix, 12 digits, and the case-check suffix (AAA for digits)."""
    return f"{prefix}{n:012d}AAA"


# contract id column -> (Salesforce key prefix, HubSpot id offset)
CRM_IDS = {
    "account_id": ("001", 4_000_000_000),
    "contact_id": ("003", 7_000_000_000),
    "csm_id": ("005", 300_000_000),
    "meeting_id": ("00U", 20_000_000_000),
    "email_id": ("00T", 30_000_000_000),
}


def zendesk_organization_id(account_n: int) -> int:
    return 360_000_000_000 + account_n


def zendesk_csat(score: int | None) -> str | None:
    """Zendesk's CSAT is binary: 4-5 is good, 1-3 bad."""
    return None if score is None else "good" if int(score) >= 4 else "bad"


def iso_ms(value: str | None) -> str | None:
    """A native ISO 8601 time as the vendors write it: UTC with milliseconds."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def segment_event_names(seed: Path = SEED_EVENT_NAMES) -> dict[str, str]:
    """The product's event name for each name in the feature catalogue (the seed read backwards)."""
    with seed.open(encoding="utf-8") as fh:
        return {row["event_name"]: row["source_event_name"] for row in csv.DictReader(fh)}


class VendorLandingWriter(LandingWriter):
    """A LandingWriter that writes the tables of the chosen vendors in their formats (or, as the native
    reference, in the native contract with the vendors' ids and losses)."""

    def __init__(
        self,
        out_dir: Path,
        window_start: date,
        as_of: date,
        since: date | None = None,
        formats: dict[str, str] | None = None,
        native_reference: bool = False,
    ) -> None:
        super().__init__(out_dir, window_start, as_of, since)
        self.formats = dict(formats or {})
        self.native_reference = native_reference
        self.crm = self.formats.get("crm")
        self.event_names = segment_event_names() if self.formats.get("product") == "segment" else {}
        self._vendor_csv: dict[tuple[str, str, date], tuple[IO[str], csv.DictWriter]] = {}
        self._vendor_jsonl: dict[tuple[str, str, date], IO[str]] = {}
        self._pages: dict[tuple[str, date], list[dict]] = defaultdict(list)
        self._metric_sets: dict[date, list[dict]] = defaultdict(list)

    # -- ids ------------------------------------------------------------------------------------
    def crm_id(self, column: str, native_id: str | None) -> str | None:
        if native_id is None or self.crm is None:
            return native_id
        prefix, offset = CRM_IDS[column]
        n = _number(native_id)
        return salesforce_id(prefix, n) if self.crm == "salesforce" else str(offset + n)

    def translate(self, table_name: str, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        for column in CRM_IDS:
            if column in row:
                row[column] = self.crm_id(column, row[column])
        if self.formats.get("support") == "zendesk" and table_name == "support__tickets":
            row["ticket_id"] = str(_number(row["ticket_id"]))
        return row

    def carried(self, table_name: str, row: dict[str, Any]) -> dict[str, Any] | None:
        """The row as the vendor carries it (None: the vendor has no such record)."""
        source = table_name.split("__")[0]
        vendor = self.formats.get(source)
        if vendor in ("salesforce", "hubspot") and table_name == "cs__emails":
            return dict(row, replied_at=None)
        if vendor == "salesforce" and table_name == "crm__csms":
            return dict(row, is_deleted=None)  # a Salesforce User is deactivated, never deleted
        if vendor == "segment" and table_name == "product__users":
            if row["updated_at"] != row["created_at"]:
                return None  # a later version (left, came back): no Segment call says so
            return dict(row, email=None, deactivated_at=None, is_deleted=None)
        if vendor == "zendesk" and table_name == "support__tickets":
            csat = zendesk_csat(row["csat_score"])
            return dict(
                row,
                csat_score=None if csat is None else 5 if csat == "good" else 1,
                status="closed" if row["is_deleted"] else row["status"],
            )
        return row

    # -- records ----------------------------------------------------------------------------------
    def emit(self, table_name: str, row: dict[str, Any], landed_at: datetime) -> None:
        extract = self.extract_for(landed_at)
        if extract is None:
            return
        row = self.carried(table_name, self.translate(table_name, row))
        if row is None:
            return
        vendor = self.formats.get(table_name.split("__")[0])
        if self.formats.get("support") == "zendesk" and table_name == "crm__accounts" and not self.native_reference:
            self._zendesk_organization(row, extract)
        if self.native_reference or vendor is None or table_name not in VENDOR_TABLES[vendor]:
            super().emit(table_name, row, landed_at)
            return
        getattr(self, f"_{vendor}")(table_name, row, extract)
        self.rows_written[table_name] = self.rows_written.get(table_name, 0) + 1

    def emit_events(self, cols: dict[str, np.ndarray], landed_at: np.ndarray) -> None:
        if self.crm is not None:
            cols = dict(cols)
            unique, inverse = np.unique(cols["account_id"].astype(str), return_inverse=True)
            cols["account_id"] = np.array([self.crm_id("account_id", a) for a in unique], dtype=object)[inverse]
        if self.native_reference or self.formats.get("product") != "segment":
            super().emit_events(cols, landed_at)
            return
        keep = landed_at < np.datetime64(self.as_of_dt.replace(tzinfo=None), "us")
        if self.since_dt is not None:
            keep &= landed_at >= np.datetime64(self.since_dt.replace(tzinfo=None), "us")
        idx = np.searchsorted(self._month_edges, landed_at, side="right")
        occurred = np.datetime_as_string(cols["occurred_at"].astype("datetime64[ms]"), unit="ms")
        for i in np.unique(idx[keep]):
            fh = self._jsonl("segment", "calls", self.extract_dates[int(i)], gz=True)
            sel = np.flatnonzero(keep & (idx == i))
            lines = []
            for j in sel:
                at = occurred[j] + "Z"
                lines.append(
                    json.dumps(
                        {
                            "type": "track",
                            "event": self.event_names.get(cols["event_name"][j], cols["event_name"][j]),
                            "messageId": cols["event_id"][j],
                            "userId": cols["user_id"][j],
                            "anonymousId": None,
                            "properties": {},
                            "context": {"groupId": cols["account_id"][j], "library": {"name": "analytics-node"}},
                            "timestamp": at,
                            "originalTimestamp": at,
                            "receivedAt": at,
                            "sentAt": at,
                            "version": 2,
                        },
                        separators=(",", ":"),
                    )
                )
            fh.write("\n".join(lines) + "\n")
            self.rows_written["product__events"] = self.rows_written.get("product__events", 0) + len(sel)

    # -- files ------------------------------------------------------------------------------------
    def _vendor_path(self, vendor: str, obj: str, extract: date, name: str) -> Path:
        path = self.out_dir / vendor / obj / extract.isoformat() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _csv(self, vendor: str, obj: str, extract: date, fields: list[str]) -> csv.DictWriter:
        key = (vendor, obj, extract)
        if key not in self._vendor_csv:
            fh = self._vendor_path(vendor, obj, extract, "part-0000.csv").open("w", newline="", encoding="utf-8")
            # Bulk API 2.0 results: a header of API names, every value quoted, LF line ends
            writer = csv.DictWriter(fh, fieldnames=fields, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writeheader()
            self._vendor_csv[key] = (fh, writer)
        return self._vendor_csv[key][1]

    def _jsonl(self, vendor: str, obj: str, extract: date, gz: bool = False) -> IO[str]:
        key = (vendor, obj, extract)
        if key not in self._vendor_jsonl:
            if gz:
                path = self._vendor_path(vendor, obj, extract, "part-0000.jsonl.gz")
                raw = gzip.open(path, "wb", compresslevel=6)  # noqa: SIM115 (closed in close())
                self._vendor_jsonl[key] = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            else:
                self._vendor_jsonl[key] = self._vendor_path(vendor, obj, extract, "part-0000.jsonl").open(
                    "w", encoding="utf-8", newline="\n"
                )
        return self._vendor_jsonl[key]

    # -- Salesforce -------------------------------------------------------------------------------
    def _salesforce(self, table_name: str, row: dict[str, Any], extract: date) -> None:
        b = _sf_bool
        if table_name == "crm__accounts":
            record = {
                "Id": row["account_id"],
                "Name": row["account_name"],
                "Industry": row["industry"],
                "Region__c": row["region"],
                "NumberOfEmployees": BAND_EMPLOYEES.get(row["employee_band"]),
                "CSM__c": row["csm_id"],
                "Stripe_Customer_ID__c": row.get("stripe_customer_id"),
                "CreatedDate": iso_ms(row["created_at"]),
                "LastModifiedDate": iso_ms(row["updated_at"]),
                "IsDeleted": b(row["is_deleted"]),
            }
            obj = "Account"
        elif table_name == "crm__contacts":
            record = {
                "Id": row["contact_id"],
                "AccountId": row["account_id"],
                "Name": row["full_name"],
                "Email": row["email"],
                "CS_Role__c": SF_ROLE[row["role"]],
                "Active__c": b(row["is_active"]),
                "CreatedDate": iso_ms(row["created_at"]),
                "LastModifiedDate": iso_ms(row["updated_at"]),
                "IsDeleted": b(row["is_deleted"]),
            }
            obj = "Contact"
        elif table_name == "crm__csms":
            record = {
                "Id": row["csm_id"],
                "Name": row["csm_name"],
                "Email": row["email"],
                "Division": row["team"],
                "Department": "Customer Success",
                "IsActive": "true",
                "LastModifiedDate": iso_ms(row["updated_at"]),
            }
            obj = "User"
        elif table_name == "cs__meetings":
            attended = row["attended"]
            record = {
                "Id": row["meeting_id"],
                "AccountId": row["account_id"],
                "OwnerId": row["csm_id"],
                "Subject": MEETING_TYPE[row["meeting_type"]],
                "Type": MEETING_TYPE[row["meeting_type"]],
                "EventSubtype": "Event",
                "StartDateTime": iso_ms(row["scheduled_at"]),
                "Outcome__c": None if attended is None else "Attended" if attended else "No Show",
                "LastModifiedDate": iso_ms(row["updated_at"]),
                "IsDeleted": b(row["is_deleted"]),
            }
            obj = "Event"
        else:  # cs__emails
            record = {
                "Id": row["email_id"],
                "AccountId": row["account_id"],
                "OwnerId": row["csm_id"],
                "Subject": "Follow-up",
                "TaskSubtype": "Email",
                "Status": "Completed",
                "CompletedDateTime": iso_ms(row["sent_at"]),
                "CreatedDate": iso_ms(row["sent_at"]),
                "LastModifiedDate": iso_ms(row["updated_at"]),
                "IsDeleted": b(row["is_deleted"]),
            }
            obj = "Task"
        self._csv("salesforce", obj, extract, list(record)).writerow(
            {k: "" if v is None else v for k, v in record.items()}
        )

    # -- HubSpot ----------------------------------------------------------------------------------
    def _hubspot(self, table_name: str, row: dict[str, Any], extract: date) -> None:
        archived = bool(row.get("is_deleted"))
        stamps = {"updatedAt": iso_ms(row["updated_at"]), "archived": archived}
        if archived:
            stamps["archivedAt"] = iso_ms(row["updated_at"])

        def company(account_id: str) -> dict:
            return {"companies": {"results": [{"id": account_id, "type": f"{obj[:-1]}_to_company"}]}}

        if table_name == "crm__accounts":
            obj = "companies"
            record = {
                "id": row["account_id"],
                "properties": {
                    "name": row["account_name"],
                    "industry": HUBSPOT_INDUSTRY.get(row["industry"], row["industry"]),
                    "region": row["region"],
                    "numberofemployees": _str(BAND_EMPLOYEES.get(row["employee_band"])),
                    "hubspot_owner_id": row["csm_id"],
                    "stripe_customer_id": row.get("stripe_customer_id"),
                    "createdate": iso_ms(row["created_at"]),
                    "hs_lastmodifieddate": iso_ms(row["updated_at"]),
                    "hs_object_id": row["account_id"],
                },
                "createdAt": iso_ms(row["created_at"]),
                **stamps,
            }
        elif table_name == "crm__contacts":
            obj = "contacts"
            first, _, last = (row["full_name"] or "").partition(" ")
            record = {
                "id": row["contact_id"],
                "properties": {
                    "firstname": first or None,
                    "lastname": last or None,
                    "email": row["email"],
                    "cs_role": row["role"],
                    "cs_active": "true" if row["is_active"] else "false",
                    "createdate": iso_ms(row["created_at"]),
                    "lastmodifieddate": iso_ms(row["updated_at"]),
                    "hs_object_id": row["contact_id"],
                },
                "createdAt": iso_ms(row["created_at"]),
                **stamps,
                "associations": company(row["account_id"]),
            }
        elif table_name == "crm__csms":
            obj = "owners"
            first, _, last = row["csm_name"].partition(" ")
            record = {
                "id": row["csm_id"],
                "email": row["email"],
                "type": "PERSON",
                "firstName": first,
                "lastName": last,
                "userId": _number(row["csm_id"]) + 1_000_000,
                "createdAt": iso_ms(row["updated_at"]),
                **stamps,
                "teams": [{"id": str(zlib.crc32(row["team"].encode()) % 100_000), "name": row["team"], "primary": True}]
                if row["team"]
                else [],
            }
        elif table_name == "cs__meetings":
            obj = "meetings"
            attended = row["attended"]
            record = {
                "id": row["meeting_id"],
                "properties": {
                    "hs_timestamp": iso_ms(row["scheduled_at"]),
                    "hs_meeting_title": MEETING_TYPE[row["meeting_type"]],
                    "hs_activity_type": MEETING_TYPE[row["meeting_type"]],
                    "hs_meeting_start_time": iso_ms(row["scheduled_at"]),
                    "hs_meeting_outcome": "SCHEDULED" if attended is None else "COMPLETED" if attended else "NO_SHOW",
                    "hubspot_owner_id": row["csm_id"],
                    "hs_lastmodifieddate": iso_ms(row["updated_at"]),
                },
                "createdAt": iso_ms(row["scheduled_at"]),
                **stamps,
                "associations": company(row["account_id"]),
            }
        else:  # cs__emails
            obj = "emails"
            record = {
                "id": row["email_id"],
                "properties": {
                    "hs_timestamp": iso_ms(row["sent_at"]),
                    "hs_email_direction": "EMAIL",
                    "hs_email_status": "SENT",
                    "hs_email_subject": "Follow-up",
                    "hubspot_owner_id": row["csm_id"],
                    "hs_lastmodifieddate": iso_ms(row["updated_at"]),
                },
                "createdAt": iso_ms(row["sent_at"]),
                **stamps,
                "associations": company(row["account_id"]),
            }
        self._jsonl("hubspot", obj, extract).write(json.dumps(record, separators=(",", ":")) + "\n")

    # -- Segment ----------------------------------------------------------------------------------
    def _segment(self, table_name: str, row: dict[str, Any], extract: date) -> None:
        # product__users: the user's first sign-in identifies them and puts them in the account
        at = iso_ms(row["created_at"])
        fh = self._jsonl("segment", "calls", extract, gz=True)
        common = {"userId": row["user_id"], "anonymousId": None, "timestamp": at, "originalTimestamp": at}
        common |= {"receivedAt": at, "sentAt": at, "version": 2}
        identify = {"type": "identify", "messageId": f"idy-{row['user_id']}", "traits": {"createdAt": at}}
        group = {"type": "group", "messageId": f"grp-{row['user_id']}", "groupId": row["account_id"], "traits": {}}
        context = {"context": {"library": {"name": "analytics-node"}}}
        fh.write(json.dumps(identify | common | context, separators=(",", ":")) + "\n")
        fh.write(json.dumps(group | common | context, separators=(",", ":")) + "\n")

    # -- Zendesk ----------------------------------------------------------------------------------
    def _zendesk_organization(self, row: dict[str, Any], extract: date) -> None:
        org_id = zendesk_organization_id(_number(row["account_id"]) if self.crm is None else _crm_number(row))
        self._pages[("organizations", extract)].append(
            {
                "id": org_id,
                "url": f"https://example.zendesk.com/api/v2/organizations/{org_id}.json",
                "name": row["account_name"],
                "external_id": row["account_id"],
                "created_at": _zendesk_time(row["created_at"]),
                "updated_at": _zendesk_time(row["updated_at"]),
                "deleted_at": _zendesk_time(row["updated_at"]) if row["is_deleted"] else None,
            }
        )

    def _zendesk(self, table_name: str, row: dict[str, Any], extract: date) -> None:
        ticket_id = int(row["ticket_id"])
        account_n = _number(row["account_id"]) if self.crm is None else _crm_number(row)
        csat = zendesk_csat(row["csat_score"])
        self._pages[("tickets", extract)].append(
            {
                "id": ticket_id,
                "url": f"https://example.zendesk.com/api/v2/tickets/{ticket_id}.json",
                "subject": row["subject"],
                "priority": row["priority"],
                "status": "deleted" if row["is_deleted"] else row["status"],
                "organization_id": zendesk_organization_id(account_n),
                "created_at": _zendesk_time(row["created_at"]),
                "updated_at": _zendesk_time(row["updated_at"]),
                "satisfaction_rating": {"score": csat} if csat else {"score": "unoffered"},
                "generated_timestamp": epoch(row["updated_at"]),
            }
        )
        self._metric_sets[extract].append(
            {
                "ticket_id": ticket_id,
                "created_at": _zendesk_time(row["created_at"]),
                "updated_at": _zendesk_time(row["updated_at"]),
                "solved_at": _zendesk_time(row["solved_at"]),
            }
        )

    def _write_zendesk_pages(self) -> None:
        for (obj, extract), versions in sorted(self._pages.items()):
            # an export returns each record once, as it is at the export: its latest version
            latest: dict[int, dict] = {}
            for record in versions:
                if record["id"] not in latest or record["updated_at"] >= latest[record["id"]]["updated_at"]:
                    latest[record["id"]] = record
            records = list(latest.values())
            metric_sets: dict[int, dict] = {}
            for m in self._metric_sets.get(extract, []):
                if m["ticket_id"] not in metric_sets or m["updated_at"] >= metric_sets[m["ticket_id"]]["updated_at"]:
                    metric_sets[m["ticket_id"]] = m
            for n, start in enumerate(range(0, len(records), ZENDESK_PAGE), start=1):
                chunk = records[start : start + ZENDESK_PAGE]
                last = start + ZENDESK_PAGE >= len(records)
                page: dict[str, Any] = {obj: chunk}
                if obj == "tickets":
                    # the latest state of each ticket's metrics, as sideloaded with the ticket
                    page["metric_sets"] = [metric_sets[t["id"]] for t in chunk if t["id"] in metric_sets]
                    page["after_cursor"] = None if last else f"cursor-{extract:%Y%m%d}-{n + 1}"
                else:
                    page["next_page"] = None
                    page["count"] = len(chunk)
                    page["end_time"] = max(epoch(r["updated_at"].replace("Z", "+00:00")) for r in chunk)
                page["end_of_stream"] = last
                path = self._vendor_path("zendesk", obj, extract, f"page-{n:04d}.json")
                path.write_text(json.dumps(page, separators=(",", ":")) + "\n", encoding="utf-8")

    def close(self) -> None:
        super().close()
        for fh, _ in self._vendor_csv.values():
            fh.close()
        for fh in self._vendor_jsonl.values():
            fh.close()
        self._write_zendesk_pages()


def _crm_number(row: dict[str, Any]) -> int:
    """The account's number back from a CRM vendor's id (Salesforce: the 12 digits; HubSpot: less the offset)."""
    account_id = row["account_id"]
    if account_id.startswith("001"):
        return int(account_id[3:15])
    return int(account_id) - CRM_IDS["account_id"][1]


def _zendesk_time(value: str | None) -> str | None:
    """Zendesk writes UTC to the second: 2025-03-04T17:12:00Z."""
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sf_bool(value: Any) -> str:
    return "true" if value else "false"


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
