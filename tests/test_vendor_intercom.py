"""Intercom support conversations: a vendor added as one profile file (sources/profiles/intercom.yml).

The pages are typed from Intercom's REST API reference (2.11): a conversation search response, and the
contact and company list responses its account is looked up through.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import table
from dagster_project.lib.extract import load_table

TICKETS = table("support", "tickets")

CONTACTS = {
    "type": "list",
    "data": [
        {
            "type": "contact",
            "id": "6329bd9ffe4e7c2f5a8a0f3b",
            "external_id": "CON-000001-00001",
            "role": "user",
            "email": "ada@initech.example",
            "companies": {
                "type": "list",
                "data": [
                    {"type": "company", "id": "6329bda1e2d3a7b2e5e0c1f0", "url": "/companies/6329bda1e2d3a7b2e5e0c1f0"}
                ],
                "url": "/contacts/6329bd9ffe4e7c2f5a8a0f3b/companies",
                "total_count": 1,
                "has_more": False,
            },
            "created_at": 1663597223,
            "updated_at": 1663597260,
        }
    ],
    "total_count": 1,
    "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 1},
}
COMPANIES = {
    "type": "list",
    "data": [
        {
            "type": "company",
            "id": "6329bda1e2d3a7b2e5e0c1f0",
            "name": "Initech",
            "company_id": "ACC-000001",
            "created_at": 1663597223,
            "updated_at": 1663597260,
        }
    ],
    "total_count": 1,
    "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 1},
}


def conversation(cid: str, **fields) -> dict:
    record = {
        "type": "conversation",
        "id": cid,
        "title": "Export fails",
        "created_at": 1741079520,
        "updated_at": 1741165920,
        "waiting_since": None,
        "snoozed_until": None,
        "open": False,
        "state": "closed",
        "read": True,
        "priority": "priority",
        "source": {"type": "conversation", "id": "403918330", "delivered_as": "customer_initiated", "subject": ""},
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": "6329bd9ffe4e7c2f5a8a0f3b", "external_id": "CON-000001-00001"}],
        },
        "conversation_rating": {"rating": 4, "remark": "", "created_at": 1741165900},
        "statistics": {"type": "conversation_statistics", "first_close_at": 1741165800, "last_close_at": 1741165800},
    }
    record.update(fields)
    return record


def page(*conversations: dict) -> str:
    return json.dumps(
        {
            "type": "conversation.list",
            "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 1},
            "total_count": len(conversations),
            "conversations": list(conversations),
        }
    )


@pytest.fixture
def wh(tmp_path: Path):
    landing = tmp_path / "landing"
    for rel, body in (
        ("intercom/contacts/2025-03-05/page-0001.json", json.dumps(CONTACTS)),
        ("intercom/companies/2025-03-05/page-0001.json", json.dumps(COMPANIES)),
    ):
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_text(body)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("set TimeZone = 'UTC'")
    yield conn, landing, tmp_path / "quarantine"
    conn.close()


def drop(landing: Path, text: str) -> None:
    path = landing / "intercom/conversations/2025-03-05/page-0001.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_conversations_become_tickets_through_their_contact_and_company(wh) -> None:
    """The account through two lookups (conversation -> contact -> company.company_id), unix times, the
    priority flag, states, the last close as solved_at and the 1-5 rating."""
    conn, landing, quarantine = wh
    drop(
        landing,
        page(
            conversation("1295"),
            conversation(
                "1296",
                title=None,
                source={"subject": "Billing question"},
                state="snoozed",
                priority="not_priority",
                conversation_rating=None,
                statistics={"type": "conversation_statistics"},
            ),
        ),
    )
    result = load_table(conn, TICKETS, landing, quarantine)
    assert result.clean and result.rows_loaded == 2, [str(i) for i in result.issues]
    assert conn.execute(
        "select ticket_id, account_id, subject, priority, status, cast(created_at as varchar), "
        "cast(solved_at as varchar), csat_score from raw.support__tickets order by 1"
    ).fetchall() == [
        ("1295", "ACC-000001", "Export fails", "high", "closed", "2025-03-04 09:12:00+00", "2025-03-05 09:10:00+00", 4),
        ("1296", "ACC-000001", "Billing question", "normal", "pending", "2025-03-04 09:12:00+00", None, None),
    ]


def test_a_contact_without_a_company_is_named(wh) -> None:
    conn, landing, quarantine = wh
    stranger = {"type": "contact.list", "contacts": [{"type": "contact", "id": "unknown-contact"}]}
    drop(landing, page(conversation("1297", contacts=stranger)))
    result = load_table(conn, TICKETS, landing, quarantine)
    (issue,) = result.issues
    assert issue.line == 1 and issue.column.startswith("account_id (Intercom contacts.contacts.0.id → contacts.")
    assert "conversations id=1297" in issue.reason and "'unknown-contact' has no contacts record" in issue.reason
