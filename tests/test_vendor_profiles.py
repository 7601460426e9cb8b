"""Vendor exports read through their profiles: small hand-typed files in each vendor's documented shape.

Every file here is typed from the vendor's documentation (the pages each profile cites), not written by
the sample writer. Each test names the mapping it covers; the bad inputs of the vendor-profile issue
(an admin's renamed Salesforce column, a HubSpot record without a required property, a Zendesk page cut
off, a malformed Segment line, an unknown Segment event name) get what bad native input gets: the file,
line or record id and the field named, nothing half-loaded.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import table
from dagster_project.lib.extract import landing_files, load_table
from dagster_project.lib.sources.profiles import (
    PROFILE_DIR,
    ColumnMap,
    ProfileError,
    convert_values,
    profiles,
    read_profile,
)

ACCOUNTS = table("crm", "accounts")
CONTACTS = table("crm", "contacts")
CSMS = table("crm", "csms")
MEETINGS = table("cs", "meetings")
EMAILS = table("cs", "emails")
USERS = table("product", "users")
EVENTS = table("product", "events")
TICKETS = table("support", "tickets")


@pytest.fixture
def wh(tmp_path: Path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("set TimeZone = 'UTC'")
    yield conn, tmp_path / "landing", tmp_path / "quarantine"
    conn.close()


def drop(landing: Path, rel: str, text: str | bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def rows(conn: duckdb.DuckDBPyConnection, tbl, columns: str, order: str = "1") -> list[tuple]:
    return conn.execute(f"select {columns} from raw.{tbl.raw_name} order by {order}").fetchall()


def problems(result) -> str:
    return "\n".join(str(i) for i in result.issues)


# -- Salesforce: Bulk API 2.0 query results (CSV, every value quoted, API field names) ------------------

SF_ACCOUNT = (
    '"Id","Name","Industry","Region__c","NumberOfEmployees","CSM__c","Stripe_Customer_ID__c","CreatedDate",'
    '"LastModifiedDate","IsDeleted","BillingCountry"\n'
    '"0015g00000AbCdEAAZ","Initech","Technology","EMEA","250","0055g00000XyZabAAB","cus_NffrFeUfNV2Hib",'
    '"2024-11-02T15:20:00.000Z","2025-03-04T09:12:07.123Z","false","Germany"\n'
    '"0015g00000AbCdFAAZ","Globex","","NA","","","","2024-12-01T00:00:00.000Z","2025-01-10T08:00:00.000Z","true",""\n'
)


def test_salesforce_account_fields_become_the_accounts_columns(wh) -> None:
    """Id, Name, Region__c, NumberOfEmployees (as a band), CSM__c, ISO times with milliseconds, IsDeleted;
    fields the profile does not use (BillingCountry) are ignored, unlike a native file's unknown column."""
    conn, landing, quarantine = wh
    drop(landing, "salesforce/Account/2025-03-05/part-0000.csv", SF_ACCOUNT)
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    assert result.clean and result.rows_loaded == 2, problems(result)
    assert rows(
        conn,
        ACCOUNTS,
        "account_id, account_name, industry, region, employee_band, csm_id, stripe_customer_id, "
        "cast(updated_at as varchar), is_deleted, _source_file, _source_line",
    ) == [
        (
            "0015g00000AbCdEAAZ",
            "Initech",
            "Technology",
            "EMEA",
            "201-1000",
            "0055g00000XyZabAAB",
            "cus_NffrFeUfNV2Hib",
            "2025-03-04 09:12:07.123+00",
            False,
            "salesforce/Account/2025-03-05/part-0000.csv",
            2,
        ),
        (
            "0015g00000AbCdFAAZ",
            "Globex",
            None,
            "NA",
            None,
            None,
            None,
            "2025-01-10 08:00:00+00",
            True,
            *(
                "salesforce/Account/2025-03-05/part-0000.csv",
                3,
            ),
        ),
    ]
    assert conn.execute("select file_format from raw._load_log").fetchone() == ("salesforce",)


def test_salesforce_column_renamed_by_an_admin_quarantines_the_file_naming_the_field(wh) -> None:
    conn, landing, quarantine = wh
    drop(landing, "salesforce/Account/2025-03-05/part-0000.csv", SF_ACCOUNT.replace("Region__c", "Sales_Region__c"))
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    assert result.files_quarantined == 1 and result.rows_loaded == 0
    message = problems(result)
    assert "salesforce/Account/2025-03-05/part-0000.csv" in message
    assert "lacks field(s) Region__c (→ region)" in message and "salesforce.yml" in message
    assert "Sales_Region__c" in message, "the fields found are listed, so the renamed one is easy to spot"
    assert (quarantine / "salesforce/Account/2025-03-05/part-0000.csv").exists()
    assert rows(conn, ACCOUNTS, "count(*)") == [(0,)]


SF_EVENT = (
    '"Id","AccountId","OwnerId","Subject","Type","EventSubtype","StartDateTime","Outcome__c","LastModifiedDate",'
    '"IsDeleted"\n'
    '"00U5g00000MtgA1EAJ","0015g00000AbCdEAAZ","0055g00000XyZabAAB","Q1 review","QBR","Event",'
    '"2025-03-04T15:00:00.000Z","Attended","2025-03-04T16:00:00.000Z","false"\n'
    '"00U5g00000MtgA2EAJ","0015g00000AbCdEAAZ","0055g00000XyZabAAB","Hi","Check-in","Event",'
    '"2025-03-11T15:00:00.000Z","","2025-03-01T16:00:00.000Z","false"\n'
    '"00U5g00000MtgA3EAJ","0015g00000AbCdEAAZ","0055g00000XyZabAAB","Demo","Demo","Event",'
    '"2025-03-12T15:00:00.000Z","","2025-03-01T16:00:00.000Z","false"\n'
)


def test_salesforce_event_type_and_outcome_map_and_an_unknown_type_is_named(wh) -> None:
    """Type picklist -> meeting_type, the Outcome__c picklist -> attended (empty until it happened); a Type
    the profile does not know is a row problem naming the record, line and field: the load is rejected."""
    conn, landing, quarantine = wh
    drop(landing, "salesforce/Event/2025-03-05/part-0000.csv", SF_EVENT)
    result = load_table(conn, MEETINGS, landing, quarantine)
    assert result.rows_loaded == 2 and result.rows_quarantined == 1
    assert rows(conn, MEETINGS, "meeting_id, meeting_type, attended") == [
        ("00U5g00000MtgA1EAJ", "qbr", True),
        ("00U5g00000MtgA2EAJ", "check_in", None),
    ]
    (issue,) = result.issues
    assert issue.line == 4 and issue.column.startswith("meeting_type (Salesforce Type)")
    assert "Event Id=00U5g00000MtgA3EAJ" in issue.reason and "'Demo'" in issue.reason
    record = conn.execute("select record from raw._quarantine_rows").fetchone()[0]
    assert json.loads(record)["Type"] == "Demo", "the quarantine keeps the vendor's record"
    assert conn.execute("select verdict from raw._load_log").fetchone() == ("rejected",)


def test_salesforce_tasks_other_than_emails_are_not_emails(wh) -> None:
    conn, landing, quarantine = wh
    header = (
        '"Id","AccountId","OwnerId","TaskSubtype","CompletedDateTime","CreatedDate","LastModifiedDate","IsDeleted"\n'
    )
    drop(
        landing,
        "salesforce/Task/2025-03-05/part-0000.csv",
        header + '"00T5g00000EmlA1EAJ","0015g00000AbCdEAAZ","0055g00000XyZabAAB","Email","","2025-03-04T09:00:00.000Z",'
        '"2025-03-04T09:00:00.000Z","false"\n'
        '"00T5g00000CalA1EAJ","0015g00000AbCdEAAZ","0055g00000XyZabAAB","Call","2025-03-04T10:00:00.000Z",'
        '"2025-03-04T09:00:00.000Z","2025-03-04T10:00:00.000Z","false"\n',
    )
    result = load_table(conn, EMAILS, landing, quarantine)
    assert result.clean and result.rows_loaded == 1
    # CompletedDateTime empty: the task's CreatedDate is when it was sent
    assert rows(conn, EMAILS, "email_id, cast(sent_at as varchar), replied_at") == [
        ("00T5g00000EmlA1EAJ", "2025-03-04 09:00:00+00", None)
    ]


# -- HubSpot: CRM v3 objects, one record per JSON line ------------------------------------------------


def hubspot_company(cid: str, **properties) -> str:
    props = {
        "name": "Initech",
        "industry": "COMPUTER_SOFTWARE",
        "region": "EMEA",
        "numberofemployees": "40",
        "hubspot_owner_id": "83726372",
        "createdate": "2024-11-02T15:20:00.000Z",
        "hs_lastmodifieddate": "2025-03-04T09:12:00.000Z",
        "hs_object_id": cid,
    }
    props.update(properties)
    record = {
        "id": cid,
        "properties": {k: v for k, v in props.items() if v is not ...},
        "createdAt": "2024-11-02T15:20:00.000Z",
        "updatedAt": "2025-03-04T09:12:00.000Z",
        "archived": False,
    }
    return json.dumps(record) + "\n"


def test_hubspot_companies_and_a_record_without_a_required_property(wh) -> None:
    """properties.* -> columns, HubSpot's industry enumeration -> ours (unknown ones kept as sent); a record
    whose properties lack `name` is named by line, id and the property, and the load is rejected."""
    conn, landing, quarantine = wh
    drop(
        landing,
        "hubspot/companies/2025-03-05/part-0000.jsonl",
        hubspot_company("5123456001")
        + hubspot_company("5123456002", industry="AIRLINES_AVIATION", numberofemployees="5000")
        + hubspot_company("5123456003", name=...),
    )
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    assert result.rows_loaded == 2 and result.rows_quarantined == 1
    assert rows(conn, ACCOUNTS, "account_id, industry, employee_band, csm_id") == [
        ("5123456001", "Software", "1-50", "83726372"),
        ("5123456002", "AIRLINES_AVIATION", "1000+", "83726372"),
    ]
    (issue,) = result.issues
    assert issue.line == 3 and issue.column == "account_name (HubSpot properties.name)"
    assert issue.reason == "required value is missing"
    assert conn.execute("select verdict from raw._load_log").fetchone() == ("rejected",)


def test_hubspot_contact_company_association_name_and_archived(wh) -> None:
    conn, landing, quarantine = wh
    contact = {
        "id": "151",
        "properties": {
            "firstname": "Ada",
            "lastname": "Lovelace",
            "email": "ada@initech.example",
            "cs_role": "champion",
            "cs_active": "true",
        },
        "createdAt": "2024-11-02T15:20:00.000Z",
        "updatedAt": "2025-03-04T09:12:00.000Z",
        "archived": True,
        "archivedAt": "2025-03-04T09:12:00.000Z",
        "associations": {"companies": {"results": [{"id": "5123456001", "type": "contact_to_company"}]}},
    }
    drop(landing, "hubspot/contacts/2025-03-05/part-0000.jsonl", json.dumps(contact) + "\n")
    result = load_table(conn, CONTACTS, landing, quarantine)
    assert result.clean, problems(result)
    assert rows(conn, CONTACTS, "contact_id, account_id, full_name, role, is_active, is_deleted") == [
        ("151", "5123456001", "Ada Lovelace", "champion", True, True)
    ]


# -- Segment: Spec calls as a storage destination writes them (gzipped JSON lines) -----------------


def segment_call(kind: str, message_id: str, **fields) -> dict:
    call = {
        "type": kind,
        "messageId": message_id,
        "anonymousId": "507f191e810c19729de860ea",
        "timestamp": "2025-03-04T09:12:00.000Z",
        "receivedAt": "2025-03-04T09:12:01.204Z",
        "sentAt": "2025-03-04T09:12:00.950Z",
        "context": {"library": {"name": "analytics.js", "version": "2.11.1"}},
        "version": 2,
    }
    call.update(fields)
    return call


SEGMENT_CALLS = [
    segment_call("identify", "m-1", userId="97980cfea0067", traits={"email": "ada@initech.example"}),
    segment_call("group", "m-2", userId="97980cfea0067", groupId="0015g00000AbCdEAAZ", traits={"name": "Initech"}),
    segment_call(
        "track",
        "m-3",
        userId="97980cfea0067",
        event="Signed In",
        properties={"username": "ada"},
        context={"groupId": "0015g00000AbCdEAAZ", "ip": "8.8.8.8"},
    ),
    segment_call("track", "m-4", event="Signed In", context={"groupId": "0015g00000AbCdEAAZ"}),  # anonymous
    segment_call(
        "track",
        "m-5",
        userId="97980cfea0067",
        event="Logo Clicked",
        timestamp="2025-03-04T10:12:00+01:00",
        context={"groupId": "0015g00000AbCdEAAZ"},
    ),
]


def segment_file(calls: list, extra_lines: tuple[str, ...] = ()) -> bytes:
    text = "".join(json.dumps(c) + "\n" for c in calls) + "".join(extra_lines)
    return gzip.compress(text.encode())


def test_segment_track_and_group_calls_become_events_and_seats(wh) -> None:
    """track -> events (messageId the key, context.groupId the account, the name as sent: the seed maps it
    in dbt, an unknown name is kept and counted there), group -> the user's seat in the account; an
    anonymous call is read past and counted; identify feeds nothing. The file is gzipped as S3 holds it."""
    conn, landing, quarantine = wh
    drop(landing, "segment/calls/2025-03-05/part-0000.jsonl.gz", segment_file(SEGMENT_CALLS))
    events = load_table(conn, EVENTS, landing, quarantine)
    assert events.clean and events.rows_loaded == 2 and events.rows_skipped == 1, problems(events)
    assert rows(
        conn, EVENTS, "event_id, account_id, user_id, event_name, cast(occurred_at as varchar), _source_line"
    ) == [
        ("m-3", "0015g00000AbCdEAAZ", "97980cfea0067", "Signed In", "2025-03-04 09:12:00+00", 3),
        ("m-5", "0015g00000AbCdEAAZ", "97980cfea0067", "Logo Clicked", "2025-03-04 09:12:00+00", 5),
    ]
    users = load_table(conn, USERS, landing, quarantine)
    assert users.clean and users.rows_loaded == 1
    assert rows(conn, USERS, "user_id, account_id, email, deactivated_at") == [
        ("97980cfea0067", "0015g00000AbCdEAAZ", None, None)
    ]
    # the same file is one load per table it feeds, each with its own verdict
    assert conn.execute(
        "select count(distinct table_name), count(distinct file_path) from raw._load_log"
    ).fetchone() == (2, 1)


def test_segment_malformed_line_is_named_and_the_rest_of_the_file_is_not_half_loaded(wh) -> None:
    conn, landing, quarantine = wh
    drop(
        landing,
        "segment/calls/2025-03-05/part-0000.jsonl.gz",
        segment_file(SEGMENT_CALLS, ('{"type":"track","messageId":"m-6","event":"Signed In",\n',)),
    )
    result = load_table(conn, EVENTS, landing, quarantine)
    (issue,) = result.issues
    assert issue.file == "segment/calls/2025-03-05/part-0000.jsonl.gz" and issue.line == 6
    assert "malformed jsonl record" in issue.reason
    # the good rows wait in raw under a rejected load: nothing of it reaches dbt until someone decides
    assert conn.execute("select verdict from raw._load_log").fetchone() == ("rejected",)
    assert conn.execute("select count(*) from raw_accepted.product__events").fetchone() == (0,)


def test_segment_track_without_an_account_is_named(wh) -> None:
    conn, landing, quarantine = wh
    call = segment_call("track", "m-9", userId="u-1", event="Signed In")  # no context.groupId
    drop(landing, "segment/calls/2025-03-05/part-0000.jsonl", json.dumps(call) + "\n")
    result = load_table(conn, EVENTS, landing, quarantine)
    (issue,) = result.issues
    assert issue.line == 1 and issue.column == "account_id (Segment context.groupId)"
    assert issue.reason == "required value is missing"


# -- Zendesk: Incremental Export API pages ------------------------------------------------------------

ZENDESK_ORGS = {
    "organizations": [
        {
            "id": 361,
            "name": "Initech",
            "external_id": "ACC-000001",
            "created_at": "2024-11-02T15:20:00Z",
            "updated_at": "2024-11-02T15:20:00Z",
        },
        {
            "id": 362,
            "name": "Globex",
            "external_id": "ACC-000002",
            "created_at": "2024-11-02T15:20:00Z",
            "updated_at": "2024-11-02T15:20:00Z",
        },
    ],
    "next_page": None,
    "count": 2,
    "end_time": 1730560800,
    "end_of_stream": True,
}


def zendesk_ticket(tid: int, **fields) -> dict:
    ticket = {
        "id": tid,
        "url": f"https://example.zendesk.com/api/v2/tickets/{tid}.json",
        "subject": "Export fails",
        "priority": "high",
        "status": "solved",
        "organization_id": 361,
        "created_at": "2025-03-04T17:12:00Z",
        "updated_at": "2025-03-05T18:00:00Z",
        "satisfaction_rating": {"score": "good", "id": 1, "comment": "Thanks"},
        "generated_timestamp": 1741197600,
    }
    ticket.update(fields)
    return ticket


ZENDESK_TICKETS = {
    "tickets": [
        zendesk_ticket(35436),
        zendesk_ticket(35437, priority=None, status="open", satisfaction_rating={"score": "offered"}),
        zendesk_ticket(35438, status="deleted", organization_id=362, satisfaction_rating={"score": "bad"}),
    ],
    "metric_sets": [
        {"ticket_id": 35436, "solved_at": "2025-03-05T17:59:00Z", "reply_time_in_minutes": {"calendar": 60}},
        {"ticket_id": 35438, "solved_at": None},
    ],
    "after_url": None,
    "after_cursor": None,
    "before_url": None,
    "before_cursor": "MTU3NjYxMzUzOS4wfHw0NTF8",
    "end_of_stream": True,
}


def test_zendesk_tickets_account_solved_at_csat_and_deleted(wh) -> None:
    """organization_id -> the organization's external_id (another export), solved_at from the sideloaded
    metric set, CSAT good/bad -> 5/1, no priority -> normal, a deleted ticket -> is_deleted."""
    conn, landing, quarantine = wh
    drop(landing, "zendesk/organizations/2025-03-05/page-0001.json", json.dumps(ZENDESK_ORGS))
    drop(landing, "zendesk/tickets/2025-03-05/page-0001.json", json.dumps(ZENDESK_TICKETS))
    result = load_table(conn, TICKETS, landing, quarantine)
    assert result.clean and result.rows_loaded == 3, problems(result)
    assert rows(
        conn, TICKETS, "ticket_id, account_id, priority, status, cast(solved_at as varchar), csat_score, is_deleted"
    ) == [
        ("35436", "ACC-000001", "high", "solved", "2025-03-05 17:59:00+00", 5, False),
        ("35437", "ACC-000001", "normal", "open", None, None, False),
        ("35438", "ACC-000002", "high", "closed", None, 1, True),
    ]
    # the organizations export is read by the tickets' loads, never a load of its own
    assert not any(p.startswith("zendesk/organizations") for p in landing_files(landing))


def test_zendesk_page_cut_off_mid_file_is_quarantined_whole(wh) -> None:
    conn, landing, quarantine = wh
    drop(landing, "zendesk/organizations/2025-03-05/page-0001.json", json.dumps(ZENDESK_ORGS))
    text = json.dumps(ZENDESK_TICKETS)
    drop(landing, "zendesk/tickets/2025-03-05/page-0002.json", text[: len(text) // 2])
    result = load_table(conn, TICKETS, landing, quarantine)
    assert result.files_quarantined == 1 and result.rows_loaded == 0
    message = problems(result)
    assert "zendesk/tickets/2025-03-05/page-0002.json" in message and "cut off" in message
    assert rows(conn, TICKETS, "count(*)") == [(0,)]


def test_zendesk_ticket_of_an_unknown_organization_is_named(wh) -> None:
    conn, landing, quarantine = wh
    drop(landing, "zendesk/organizations/2025-03-05/page-0001.json", json.dumps(ZENDESK_ORGS))
    page = dict(ZENDESK_TICKETS, tickets=[zendesk_ticket(35439, organization_id=999)], metric_sets=[])
    drop(landing, "zendesk/tickets/2025-03-05/page-0001.json", json.dumps(page))
    result = load_table(conn, TICKETS, landing, quarantine)
    (issue,) = result.issues
    assert issue.line == 1 and issue.column == "account_id (Zendesk organization_id → organizations.external_id)"
    assert "tickets id=35439" in issue.reason and "organization_id '999' has no organizations record" in issue.reason


# -- the profile files themselves --------------------------------------------------------------------


def test_every_profile_accounts_for_every_column_of_its_tables() -> None:
    """Each contract column is mapped or listed as not carried with what that costs (read_profile checks)."""
    found = {p.vendor: p for p in profiles()}
    assert {"salesforce", "hubspot", "segment", "zendesk"} <= set(found)
    for profile in found.values():
        for obj in profile.objects.values():
            for tmap in obj.tables:
                mapped = {c.column for c in tmap.columns} | set(tmap.not_carried)
                assert set(tmap.table.required_columns) <= {c.column for c in tmap.columns}, (profile.vendor, obj.name)
                assert set(tmap.table.column_names) - {"is_deleted"} <= mapped, (profile.vendor, obj.name)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (("account_name: Name", "acount_name: Name"), "objects.Account.tables.crm__accounts.columns.acount_name"),
        (("          industry: {field: Industry, optional: true}\n", ""), "industry neither mapped nor listed"),
        (("convert: timestamp}", "convert: epoch}"), "convert 'epoch' is not one of"),
        (("crm__contacts:", "crm__contact:"), "'crm__contact' is not a contract table"),
        (("vendor: salesforce", "vendor: sfdc"), "vendor 'sfdc' must be the file's name"),
    ],
    ids=["unknown-column", "unaccounted-column", "unknown-conversion", "unknown-table", "vendor-not-file-name"],
)
def test_a_broken_profile_is_named_by_file_and_key(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    path = tmp_path / "salesforce.yml"
    text = (PROFILE_DIR / "salesforce.yml").read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ProfileError, match="salesforce.yml") as raised:
        read_profile(path)
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-03-04T09:12:07.123Z", "2025-03-04 09:12:07.123+00"),  # Salesforce, HubSpot, Segment
        ("2025-03-04T17:12:00Z", "2025-03-04 17:12:00+00"),  # Zendesk
        ("2025-03-04T10:12:00+01:00", "2025-03-04 09:12:00+00"),
        (1741079520000, "2025-03-04 09:12:00+00"),  # epoch milliseconds (HubSpot)
        ("1741079520", "2025-03-04 09:12:00+00"),  # epoch seconds (Intercom)
        ("2025-03-04", "2025-03-04 00:00:00+00"),  # a date property
        ("soon", None),  # not a time: left as sent, for the contract check to name
    ],
)
def test_timestamps_of_every_vendor_read_as_the_same_instant(value, expected) -> None:
    (text,) = convert_values(ColumnMap("created_at", ("x",), convert="timestamp"), [value])
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    assert conn.execute("select cast(try_cast(? as timestamptz) as varchar)", [text]).fetchone()[0] == expected


@pytest.mark.parametrize(
    "cmap, values, expected",
    [
        (
            ColumnMap("c", ("x",), convert="boolean"),
            ["true", "FALSE", "1", "no", "maybe", None],
            ["true", "false", "true", "false", "maybe", None],
        ),
        (ColumnMap("c", ("x",), convert="integer"), ["5", "5.0", "5.5", "five"], ["5", "5", "5.5", "five"]),
        (
            ColumnMap("c", ("x",), values={"a": "A", "n": None}, unmapped="keep"),
            ["a", "n", "z", None],
            ["A", None, "z", None],
        ),
        (ColumnMap("c", ("x",), values={"a": "A"}, unmapped="otherwise", otherwise="B"), ["a", "z"], ["A", "B"]),
        (ColumnMap("c", ("x",), default="normal"), [None, "high"], ["normal", "high"]),
        (
            ColumnMap("c", ("x",), convert="bands", bands=((50.0, "1-50"), (200.0, "51-200"), (None, "200+"))),
            ["50", "51", "2500", None],
            ["1-50", "51-200", "200+", None],
        ),
    ],
    ids=["boolean", "integer", "values-keep", "values-otherwise", "default", "bands"],
)
def test_conversions(cmap: ColumnMap, values: list, expected: list) -> None:
    assert convert_values(cmap, values) == expected
