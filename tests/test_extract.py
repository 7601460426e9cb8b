"""Extracts: incremental, idempotent, and loud about bad input without losing anything."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.contract import table
from dagster_project.lib.extract import load_table

ACCOUNTS = table("crm", "accounts")
TICKETS = table("support", "tickets")
EVENTS = table("product", "events")
HEADER = "account_id,account_name,industry,region,employee_band,csm_id,created_at,updated_at,is_deleted\n"


def row(i: int, **overrides: str) -> str:
    values = {
        "account_id": f"A{i}",
        "account_name": f"Account {i}",
        "industry": "",
        "region": "NA",
        "employee_band": "",
        "csm_id": "CSM-001",
        "created_at": "2025-01-01T10:00:00+02:00",
        "updated_at": "2025-01-01T10:00:00Z",
        "is_deleted": "false",
    }
    values.update(overrides)
    return ",".join(values.values()) + "\n"


def drop(landing: Path, extract: str, name: str, text: str, source: str = "crm", tbl: str = "accounts") -> Path:
    path = landing / source / tbl / extract / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def env(tmp_path: Path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing, quarantine = tmp_path / "landing", tmp_path / "quarantine"
    drop(landing, "2025-01-01", "part-0000.csv", HEADER + row(1) + row(2))
    first = load_table(conn, ACCOUNTS, landing, quarantine)
    assert first.rows_loaded == 2 and first.clean
    yield conn, landing, quarantine
    conn.close()


def rows_of(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute("select account_id, _source_file, _source_line from raw.crm__accounts order by all").fetchall()


def test_second_run_loads_nothing_and_changes_nothing(env) -> None:
    conn, landing, quarantine = env
    before = rows_of(conn)
    again = load_table(conn, ACCOUNTS, landing, quarantine)
    assert (again.rows_loaded, again.files_loaded, again.files_skipped) == (0, 0, 1)
    assert rows_of(conn) == before
    log = conn.execute("select file_path, rows_loaded, status, checksum from raw._load_log").fetchall()
    assert log == [("crm/accounts/2025-01-01/part-0000.csv", 2, "loaded", log[0][3])] and len(log[0][3]) == 64


def test_known_files_are_not_hashed_again_but_a_rewritten_file_is_loaded(env, monkeypatch) -> None:
    conn, landing, quarantine = env
    import dagster_project.lib.extract as extract

    hashed: list[Path] = []
    real_sha256 = extract.sha256
    monkeypatch.setattr(extract, "sha256", lambda p: hashed.append(p) or real_sha256(p))
    again = load_table(conn, ACCOUNTS, landing, quarantine)
    assert (again.files_skipped, hashed) == (1, []), "same path, size and mtime: skipped without reading it"

    # the same file re-sent with other content: its mtime (and here its size) changes, so it is hashed and loaded
    drop(landing, "2025-01-01", "part-0000.csv", HEADER + row(1) + row(2) + row(3))
    rewritten = load_table(conn, ACCOUNTS, landing, quarantine)
    assert (rewritten.files_loaded, rewritten.rows_loaded, len(hashed)) == (1, 3, 1)

    # touched but identical content: hashed, recognised by its SHA-256, not loaded twice
    path = landing / "crm" / "accounts" / "2025-01-01" / "part-0000.csv"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched = load_table(conn, ACCOUNTS, landing, quarantine)
    assert (touched.files_loaded, touched.files_skipped, len(hashed)) == (0, 1, 2)
    # ... once: the log learnt its new modification time, so the next run skips it unread and it is not unread
    after = load_table(conn, ACCOUNTS, landing, quarantine)
    assert (after.files_loaded, after.files_skipped, len(hashed)) == (0, 1, 2)
    assert extract.files_not_loaded(conn, landing) == []


def test_only_new_files_are_read(env) -> None:
    conn, landing, quarantine = env
    drop(landing, "2025-02-01", "part-0000.csv", HEADER + row(3))
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    assert (result.files_loaded, result.files_skipped, result.rows_loaded) == (1, 1, 1)
    assert [r[0] for r in rows_of(conn)] == ["A1", "A2", "A3"]
    loaded_at = conn.execute(
        "select count(distinct _loaded_at), count(*) filter (where _loaded_at is null) from raw.crm__accounts"
    ).fetchone()
    assert loaded_at == (2, 0), "every row keeps its load time"


def test_timestamps_keep_their_instant(env) -> None:
    conn, *_ = env
    created = conn.execute(
        "select cast(timezone('UTC', created_at) as varchar) from raw.crm__accounts where account_id = 'A1'"
    ).fetchone()[0]
    assert created == "2025-01-01 08:00:00"


def test_malformed_line_is_quarantined_with_file_and_line(env) -> None:
    conn, landing, quarantine = env
    before = rows_of(conn)
    drop(landing, "2025-02-01", "part-0000.csv", HEADER + row(3) + row(4).rstrip("\n") + ",surplus\n" + row(5))
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    assert result.rows_loaded == 2 and result.rows_quarantined == 1
    [issue] = result.issues
    assert str(issue).startswith("crm/accounts/2025-02-01/part-0000.csv, line 3:")
    assert "TOO MANY COLUMNS" in str(issue)
    assert set(before) <= set(rows_of(conn))
    lines = dict(
        conn.execute(
            "select account_id, _source_line from raw.crm__accounts where _source_file like '%2025-02-01%'"
        ).fetchall()
    )
    assert lines == {"A3": 2, "A5": 4}, "good rows keep their own line numbers around a rejected line"
    q = conn.execute("select file_path, line, reason, record from raw._quarantine_rows").fetchall()
    assert q[0][:2] == ("crm/accounts/2025-02-01/part-0000.csv", 3) and "surplus" in q[0][3]


def test_wrong_type_and_missing_required_value_name_the_column(env) -> None:
    conn, landing, quarantine = env
    drop(
        landing,
        "2025-02-01",
        "x.csv",
        HEADER + row(3, created_at="yesterday") + row(4, account_id="") + row(5, is_deleted="maybe"),
    )
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    messages = sorted(str(i) for i in result.issues)
    assert messages == [
        "crm/accounts/2025-02-01/x.csv, line 2, column 'created_at': cannot read 'yesterday' as timestamp",
        "crm/accounts/2025-02-01/x.csv, line 3, column 'account_id': required value is missing",
        "crm/accounts/2025-02-01/x.csv, line 4, column 'is_deleted': cannot read 'maybe' as boolean",
    ]
    assert result.rows_loaded == 0 and result.rows_quarantined == 3
    assert [r[0] for r in rows_of(conn)] == ["A1", "A2"]
    record = conn.execute("select record from raw._quarantine_rows where column_name = 'created_at'").fetchone()[0]
    assert '"yesterday"' in record


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER.replace("account_name,", ""), "missing required column(s) account_name"),
        (HEADER.replace("is_deleted", "is_deleted,segment"), "unknown column(s) segment"),
        (HEADER.replace("account_name", "name"), "missing required column(s) account_name; unknown column(s) name"),
    ],
    ids=["missing-column", "extra-column", "renamed-column"],
)
def test_schema_drift_quarantines_the_whole_file(env, header: str, expected: str) -> None:
    conn, landing, quarantine = env
    before = rows_of(conn)
    n = header.count(",") + 1
    drop(landing, "2025-02-01", "drift.csv", header + ",".join(["A9"] + ["x"] * (n - 1)) + "\n")
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    assert result.files_quarantined == 1 and result.rows_loaded == 0
    assert expected in str(result.issues[0]) and "crm/accounts/2025-02-01/drift.csv" in str(result.issues[0])
    copied = quarantine / "crm" / "accounts" / "2025-02-01" / "drift.csv"
    assert copied.exists() and expected in copied.with_name("drift.csv.reason.txt").read_text()
    assert rows_of(conn) == before
    status = conn.execute("select status from raw._load_log where file_path like '%drift.csv'").fetchone()[0]
    assert status == "quarantined"
    assert load_table(conn, ACCOUNTS, landing, quarantine).files_skipped == 2, "a quarantined file is not retried"


def test_optional_columns_may_be_left_out(env) -> None:
    conn, landing, quarantine = env
    drop(
        landing,
        "2025-02-01",
        "slim.csv",
        "account_id,account_name,region,created_at,updated_at\nA7,Seven,EMEA,2025-02-01,2025-02-01\n",
    )
    result = load_table(conn, ACCOUNTS, landing, quarantine)
    assert result.clean and result.rows_loaded == 1
    assert conn.execute("select industry, is_deleted from raw.crm__accounts where account_id = 'A7'").fetchone() == (
        None,
        None,
    )


def test_json_lines_errors_name_the_line(tmp_path: Path) -> None:
    conn = duckdb.connect()
    good = '{"ticket_id":"T1","account_id":"A1","priority":"low","status":"new","created_at":"2025-01-01T00:00:00-08:00","updated_at":"2025-01-01T00:00:00-08:00"}'
    drop(
        tmp_path,
        "2025-01-01",
        "t.jsonl",
        good
        + "\n"
        + '{"ticket_id": "T2",\n'
        + good.replace("T1", "T3").replace('"new"', '"new","csat_score":"great"')
        + "\n",
        source="support",
        tbl="tickets",
    )
    result = load_table(conn, TICKETS, tmp_path, tmp_path / "q")
    assert result.rows_loaded == 1
    assert [str(i) for i in result.issues] == [
        'support/tickets/2025-01-01/t.jsonl, line 2: malformed JSON line: \'{"ticket_id": "T2",\'',
        "support/tickets/2025-01-01/t.jsonl, line 3, column 'csat_score': cannot read 'great' as integer",
    ]


def test_parquet_is_loaded_and_checked(tmp_path: Path) -> None:
    conn = duckdb.connect()
    path = tmp_path / "product" / "events" / "2025-01-01" / "e.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "event_id": ["E1", "E2"],
                "account_id": ["A1", "A1"],
                "user_id": ["U1", None],
                "event_name": ["login", "login"],
                "occurred_at": pa.array(
                    [1_700_000_000_000_000, 1_700_000_100_000_000], type=pa.timestamp("us", tz="UTC")
                ),
            }
        ),
        path,
    )
    result = load_table(conn, EVENTS, tmp_path, tmp_path / "q")
    assert result.rows_loaded == 1
    assert [str(i) for i in result.issues] == [
        "product/events/2025-01-01/e.parquet, line 2, column 'user_id': required value is missing"
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_line_numbers_hold_in_files_big_enough_to_read_in_parallel(tmp_path: Path, fmt: str) -> None:
    """Rows are written in parallel, in any order; each must still carry its own file line."""
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    lines = 400_000  # ~45 MB: DuckDB reads it in several parallel chunks
    bad = {1_000, 250_000, lines}
    if fmt == "csv":
        body = "".join(
            row(n, region="" if n in bad else "NA") for n in range(2, lines + 1)
        )  # line 1 is the header; an empty region is a missing required value
        drop(tmp_path, "2025-01-01", "big.csv", HEADER + body)
    else:
        body = "".join(
            f'{{"account_id":"A{n}","account_name":"Account {n}","region":{"null" if n in bad else chr(34) + "NA" + chr(34)},'
            f'"created_at":"2025-01-01T10:00:00Z","updated_at":"2025-01-01T10:00:00Z"}}\n'
            for n in range(1, lines + 1)
        )
        drop(tmp_path, "2025-01-01", "big.jsonl", body)
    result = load_table(conn, ACCOUNTS, tmp_path, tmp_path / "q")
    first = 2 if fmt == "csv" else 1
    assert result.rows_loaded == lines - first + 1 - len(bad)
    assert sorted(i.line for i in result.issues) == sorted(bad)
    wrong = conn.execute(
        "select count(*) from raw.crm__accounts where account_id <> 'A' || cast(_source_line as varchar)"
    ).fetchone()[0]
    assert wrong == 0, f"{wrong} rows carry another row's line number"
