"""A load's verdict sticks: what failed a blocking raw check reaches BI only when a person decides.

The scenario of issue 12: a subscriptions file holds two different versions of one
subscription with the same key and `updated_at` (1 seat and 500 seats). Every test runs
`csw` on a copy of the published sample, as an operator would, and checks the published
file: untouched by every failing run, and free of the rejected rows after a passing one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.helpers import REPO, pipeline_env, run_csw
from tests.test_quality_gate import NEXT_DAY, drop_jsonl, sha, ticket

SUBSCRIPTION = "SUB-000008-00001"
ACCOUNT = "ACC-000008"
HEADER = (
    "subscription_id,account_id,plan,billing_interval,quantity,unit_amount,currency,discount_percent,status,"
    "trial_end_at,started_at,effective_at,canceled_at,updated_at,is_deleted"
)


def subscription_file(data: Path, seats: list[int], name: str = "part-0000.csv") -> Path:
    """A new version of SUB-000008-00001, in force by the next day, once per entry of `seats`."""
    path = data / "landing" / "billing" / "subscriptions" / NEXT_DAY / name
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        f"{SUBSCRIPTION},{ACCOUNT},enterprise,year,{n},120000,USD,10,active,2026-08-22T06:49:15Z,"
        "2026-08-08T06:49:15Z,2026-11-15T12:00:00Z,,2026-11-15T12:00:00Z,false"
        for n in seats
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def next_day_tickets(data: Path) -> None:
    """A day of valid tickets at the sample's usual rate (about 25 a day)."""
    drop_jsonl(data, [ticket(i) for i in range(29)])


def run(data: Path, *args: str) -> tuple[int, str]:
    proc = run_csw(list(args) or ["run", "--as-of", NEXT_DAY], pipeline_env(data))
    return proc.returncode, proc.stdout + proc.stderr


def published(data: Path, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(data / "published" / "marts.duckdb"), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def november_mrr(data: Path) -> float:
    rows = published(
        data, f"select ending_mrr from mrr_movements where account_id = '{ACCOUNT}' and month = '2026-11-01'"
    )
    return float(rows[0][0])


def rejected_load_id(out: str) -> str:
    found = re.findall(r"csw loads reject (\S+) --reason", out)
    assert found, out[-3000:]
    return found[0]


def failure_paragraph(out: str) -> str:
    """The failed check's report as `csw run` prints it (Dagster's own log lines left out), minus the report and log paths."""
    lines = out[out.index("\nFAILED CHECK") :].splitlines()
    return "\n".join(
        line
        for line in lines
        if not line.startswith(("data-quality report", "full log", "20")) and " - dagster - " not in line
    )


def assert_blocked(data: Path, before: str) -> str:
    code, out = run(data)
    assert code == 1, out[-4000:]
    assert "FAILED CHECK raw/billing__subscriptions:gx_raw_suite" in out, out[-4000:]
    assert "one record per key and version" in out and SUBSCRIPTION in out
    assert sha(data / "published" / "marts.duckdb") == before, "a failing run changed the published file"
    return out


def test_rejected_load_fails_every_run_until_someone_decides(workspace: Path) -> None:
    before = sha(workspace / "published" / "marts.duckdb")
    subscription_file(workspace, [1, 500])
    first = assert_blocked(workspace, before)
    again = assert_blocked(workspace, before)  # nothing changed: the same failure, word for word
    assert failure_paragraph(again) == failure_paragraph(first)
    next_day_tickets(workspace)  # the next day's valid files do not wash it through either
    assert_blocked(workspace, before)
    code, out = run(workspace, "loads", "list", "--rejected")
    assert code == 0 and rejected_load_id(first) in out and "billing/subscriptions/2026-11-16/part-0000.csv" in out


def test_corrected_file_and_retired_load_publish_the_correction(workspace: Path) -> None:
    before_mrr = november_mrr(workspace)
    subscription_file(workspace, [1, 500])
    out = assert_blocked(workspace, sha(workspace / "published" / "marts.duckdb"))
    load_id = rejected_load_id(out)
    subscription_file(workspace, [70], name="part-0001.csv")  # the corrected export
    code, out = run(workspace, "loads", "reject", load_id, "--reason", "two versions at one timestamp", "--by", "ops")
    assert code == 0, out
    code, out = run(workspace)
    assert code == 0, out[-4000:]
    # 70 seats x $1,200 a year less 10% = $6,300 a month; 500 seats would be $45,000
    assert november_mrr(workspace) == 6300.0 != before_mrr
    code, out = run(workspace, "status")
    assert f"decision: reject {load_id}" in out and "by ops" in out and "two versions at one timestamp" in out
    assert "no rejected loads awaiting a decision" in out


def test_accepted_load_is_published_and_the_override_recorded(workspace: Path) -> None:
    path = subscription_file(workspace, [1, 500])
    out = assert_blocked(workspace, sha(workspace / "published" / "marts.duckdb"))
    load_id = rejected_load_id(out)
    code, out = run(workspace, "loads", "accept", load_id, "--reason", "the later line is right", "--by", "cfo")
    assert code == 0 and "accepted" in out, out
    code, out = run(workspace)
    assert code == 0, out[-4000:]
    assert november_mrr(workspace) == 45000.0, "the accepted load's last line (500 seats) wins"
    overrides = json.loads(published(workspace, "select load_overrides from _publish_log order by published_at")[-1][0])
    assert [(o["load_id"], o["file"], o["accepted_by"], o["reason"]) for o in overrides] == [
        (load_id, str(path.relative_to(workspace / "landing")), "cfo", "the later line is right")
    ]


def test_removed_file_retires_the_load_and_its_rows_reach_no_mart(workspace: Path) -> None:
    before_mrr = november_mrr(workspace)
    bad = subscription_file(workspace, [1, 500])
    load_id = rejected_load_id(assert_blocked(workspace, sha(workspace / "published" / "marts.duckdb")))
    bad.unlink()
    next_day_tickets(workspace)
    code, out = run(workspace)
    assert code == 0, out[-4000:]
    assert november_mrr(workspace) == before_mrr, "a row of the rejected load reached the marts"
    code, out = run(workspace, "status")
    assert f"decision: reject {load_id}" in out and "removed from the landing folder" in out


def test_quarantined_rows_accepted_still_go_through_the_raw_suite(workspace: Path) -> None:
    """Accepting a load the contract check rejected overrides that check only: its loaded rows are still validated."""
    before = sha(workspace / "published" / "marts.duckdb")
    # one good ticket, one without an account (quarantined), one with a CSAT of 9 (the suite rejects it)
    drop_jsonl(workspace, [ticket(1), ticket(2, account_id=None), ticket(3, csat_score=9)])
    code, out = run(workspace)
    assert code == 1 and "FAILED CHECK raw/support__tickets:no_quarantined_input" in out, out[-4000:]
    load_id = rejected_load_id(out)
    code, out = run(workspace, "loads", "accept", load_id, "--reason", "ticket 2 is a test ticket")
    assert code == 0 and "go through the raw suite" in out, out
    code, out = run(workspace)
    assert code == 1 and "FAILED CHECK raw/support__tickets:gx_raw_suite" in out, out[-4000:]
    assert "csat_score" in out and sha(workspace / "published" / "marts.duckdb") == before


def test_dagster_reexecution_of_the_failed_step_fails_too(workspace: Path) -> None:
    before = sha(workspace / "published" / "marts.duckdb")
    subscription_file(workspace, [1, 500])
    assert_blocked(workspace, before)
    env = pipeline_env(workspace)
    conn = duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
    try:
        run_id = conn.execute("select run_id from raw._load_log where verdict = 'rejected'").fetchone()[0]
    finally:
        conn.close()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reexecute", run_id],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-4000:]
    assert "re-executed steps: raw_quality_checks" in out and "failed steps: raw_quality_checks" in out, out[-4000:]
    assert sha(workspace / "published" / "marts.duckdb") == before


def test_decisions_are_refused_when_they_make_no_sense(workspace: Path) -> None:
    code, out = run(workspace, "loads", "list", "--limit", "1")
    assert code == 0
    accepted = out.splitlines()[1].split()[0]
    code, out = run(workspace, "loads", "reject", accepted, "--reason", "oops")
    assert code == 1 and "is accepted" in out and "is_deleted = true" in out
    code, out = run(workspace, "loads", "accept", "no-such-load", "--reason", "x")
    assert code == 1 and "no load 'no-such-load'" in out
    code, out = run(workspace, "loads", "accept", accepted)
    assert code == 2 and "--reason" in out


def test_failed_dbt_test_names_the_file_and_line_until_the_record_is_corrected(workspace: Path) -> None:
    """A value the raw checks cannot know is wrong (an unknown invoice status) fails a staging test: the run names
    the file and line it came from, fails the same way again, and passes once a corrected version arrives."""
    from tests.test_quality_gate import invoice_csv

    before = sha(workspace / "published" / "marts.duckdb")
    invoice_csv(workspace, status="weird")
    where = "_source_file='billing/invoices/2026-11-16/part-0000.csv', _source_line=2"
    for _ in range(2):
        code, out = run(workspace)
        assert code == 1, out[-4000:]
        assert "accepted_values_stg_billing__invoices_invoice_status" in out and "value_field='weird'" in out
        assert where in out and "is_deleted = true" in out, out[-4000:]
        assert sha(workspace / "published" / "marts.duckdb") == before
    correction = workspace / "landing" / "billing" / "invoices" / "2026-11-17" / "part-0000.csv"
    correction.parent.mkdir(parents=True)
    lines = (workspace / "landing" / "billing" / "invoices" / NEXT_DAY / "part-0000.csv").read_text().splitlines()
    correction.write_text(
        lines[0]
        + "\n"
        + lines[1].replace("weird", "open").replace(",2026-11-15T09:00:00Z,false", ",2026-11-16T09:00:00Z,false")
        + "\n"
    )
    code, out = run(workspace, "run", "--as-of", "2026-11-17")
    assert code == 0, out[-4000:]


def test_a_load_no_publication_has_read_can_be_rejected(workspace: Path) -> None:
    """A staging test fails on rows of a load accepted after the last publication was built: the failure says no
    publication has read it and how to reject it; `csw loads reject` retires it (recorded like any verdict), and
    the next run publishes without its rows, rebuilding in full. A load a publication has read is still refused
    (test_decisions_are_refused_when_they_make_no_sense)."""
    from tests.test_quality_gate import invoice_csv

    before = sha(workspace / "published" / "marts.duckdb")
    invoice_csv(workspace, status="weird")
    code, out = run(workspace)
    assert code == 1, out[-4000:]
    assert "no publication has read them" in out, out[-4000:]
    load_id = rejected_load_id(out)
    assert sha(workspace / "published" / "marts.duckdb") == before
    code, out = run(workspace, "loads", "reject", load_id, "--reason", "unknown invoice status from billing")
    assert code == 0 and "no publication had read it" in out, out
    code, out = run(workspace)
    assert code == 0, out[-4000:]
    conn = duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
    try:
        decision = conn.execute(
            "select decision, previous_verdict from raw._load_decisions where load_id = ?", [load_id]
        ).fetchall()
        schema = conn.execute(
            "select schema_name from duckdb_views() where view_name = 'stg_billing__invoices' union all "
            "select schema_name from duckdb_tables() where table_name = 'stg_billing__invoices'"
        ).fetchone()[0]
        rows = conn.execute(
            f"select count(*) from {schema}.stg_billing__invoices where _load_id = ?", [load_id]
        ).fetchone()
    finally:
        conn.close()
    assert decision == [("reject", "accepted")] and rows == (0,)
    assert sha(workspace / "published" / "marts.duckdb") != before
