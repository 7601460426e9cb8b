"""`csw erase`: a person's data leaves every file, and the marts stay what they would have been.

One small sample runs twice: as it is (A), and with one contact and one product user anonymised in the
landing files before anything was loaded (B: what "never contained the person" means here, done by this
test's own code). A's contact is erased by e-mail (typed in another case) and A's user by id; then no file
under A's folders holds the e-mail or the user id in any encoding this test can think of, and A's next
run publishes exactly B's marts (the person's own fields are in no mart; the user's events count under
an anonymous key).
"""

from __future__ import annotations

import csv
import gzip
import shutil
import subprocess
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from dagster_project.generator import GeneratorOptions, generate
from dagster_project.lib.erase import Person, Scrubber
from tests.helpers import CSW, REPO, pipeline_env, published_differences, run_csw

SMALL = GeneratorOptions(accounts=12, months=6)
ANON_USER = "anon-test-user"


def _run(landing: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = pipeline_env(data) | {"CSW_LANDING_DIR": str(landing)}
    return subprocess.run([CSW, "run"], env=env, cwd=REPO, capture_output=True, text=True, timeout=1200)


def _edit_csv(path: Path, edit) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0]) if rows else []
    if not rows:
        return
    for row in rows:
        edit(row)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def anonymise(landing: Path, contact_id: str, user_id: str) -> None:
    """The landing files as if the source systems never had the person's personal data."""

    def contact(row: dict) -> None:
        if row["contact_id"] == contact_id:
            row["full_name"] = row["email"] = ""

    def response(row: dict) -> None:
        if row["contact_id"] == contact_id:
            row["comment"] = ""

    def user(row: dict) -> None:
        if row["user_id"] == user_id:
            row["user_id"], row["email"] = ANON_USER, ""

    for pattern, edit in (("crm/contacts/*/*.csv", contact), ("surveys/nps_responses/*/*.csv", response)):
        for path in landing.glob(pattern):
            _edit_csv(path, edit)
    for path in landing.glob("product/users/*/*.csv"):
        _edit_csv(path, user)
    conn = duckdb.connect()
    for path in landing.glob("product/events/*/*.parquet"):
        tmp = path.with_suffix(".tmp")
        conn.execute(
            f"copy (select * replace (case when user_id = '{user_id}' then '{ANON_USER}' else user_id end as user_id) "
            f"from read_parquet('{path}')) to '{tmp}' (format parquet)"
        )
        tmp.replace(path)
    conn.close()


def holders(folders: list[Path], values: list[str]) -> list[str]:
    """Every file that holds one of `values`: as bytes in UTF-8 or UTF-16, URL-encoded, `@` JSON-escaped,
    in any case; inside gzip; as a value in Parquet or in any table of a DuckDB file."""
    needles = set()
    for v in values:
        for form in (v, urllib.parse.quote(v, safe=""), v.replace("@", "\\u0040")):
            needles |= {form.lower().encode(), form.lower().encode("utf-16-le")}
    found = []
    conn = duckdb.connect()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            texts = [data.lower()]
            if data[:2] == b"\x1f\x8b":
                texts.append(gzip.decompress(data).lower())
            if any(n in t for n in needles for t in texts):
                found.append(str(path))
                continue
            if data[:4] == b"PAR1":
                rows = conn.execute(f"select * from read_parquet('{path}')").fetchall()
            elif data[8:12] == b"DUCK":
                conn.execute(f"attach '{path}' as f (read_only)")
                rows = []
                for schema, table in conn.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = 'f'"
                ).fetchall():
                    rows += conn.execute(f'select * from f."{schema}"."{table}"').fetchall()
                conn.execute("detach f")
            else:
                continue
            blob = repr(rows).lower()
            if any(v.lower() in blob for v in values):
                found.append(str(path))
    conn.close()
    return found


@pytest.fixture(scope="module")
def erased(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("erase")
    a_landing, b_landing = root / "a-landing", root / "b-landing"
    generate(a_landing, SMALL)
    conn = duckdb.connect()
    contacts = conn.execute(
        f"select c.contact_id, c.email, c.full_name from read_csv('{a_landing}/crm/contacts/*/*.csv', all_varchar = true) c "
        f"join read_csv('{a_landing}/surveys/nps_responses/*/*.csv', all_varchar = true) n using (contact_id) "
        "where c.email is not null and n.comment is not null order by 1 limit 1"
    ).fetchone()
    user_id, user_email = conn.execute(
        f"select user_id, email from read_csv('{a_landing}/product/users/*/*.csv', all_varchar = true) "
        "where email is not null order by user_id limit 1"
    ).fetchone()
    conn.close()
    contact_id, email, name = contacts
    shutil.copytree(a_landing, b_landing)
    anonymise(b_landing, contact_id, user_id)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda x: _run(*x), [(a_landing, root / "a"), (b_landing, root / "b")]))
    for run in runs:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    env = pipeline_env(root / "a") | {"CSW_LANDING_DIR": str(a_landing)}
    assert holders([root / "a", a_landing], [email, user_id]), "the person is there before the erasure"
    by_email = run_csw(["erase", "--email", email.upper(), "--reason", "DSR-1 (test)"], env)
    by_id = run_csw(["erase", "--user-id", user_id, "--reason", "DSR-2 (test)"], env)
    return {
        "root": root,
        "env": env,
        "landing": a_landing,
        "contact_id": contact_id,
        "email": email,
        "name": name,
        "user_id": user_id,
        "user_email": user_email,
        "outputs": (by_email, by_id),
    }


def test_no_file_holds_the_person_after_erase(erased) -> None:
    for out in erased["outputs"]:
        assert out.returncode == 0, out.stdout + out.stderr
    root = erased["root"]
    assert holders([root / "a", erased["landing"]], [erased["email"], erased["user_id"], erased["user_email"]]) == []
    conn = duckdb.connect(str(root / "a" / "warehouse.duckdb"), read_only=True)
    try:
        contact = conn.execute(
            "select distinct full_name, email from raw.crm__contacts where contact_id = ?", [erased["contact_id"]]
        ).fetchall()
        comments = conn.execute(
            "select count(*) from raw.surveys__nps_responses where contact_id = ? and comment is not null",
            [erased["contact_id"]],
        ).fetchone()[0]
        record = conn.execute(
            "select identified_by, reason, contacts, users from raw._erasures order by erased_at"
        ).fetchall()
    finally:
        conn.close()
    assert contact == [(None, None)] and comments == 0
    assert record == [("email", "DSR-1 (test)", 1, 0), ("user_id", "DSR-2 (test)", 0, 1)]


def test_the_next_run_publishes_the_marts_of_data_that_never_held_the_person(erased) -> None:
    root, env = erased["root"], erased["env"]
    before = duckdb.connect(str(root / "a" / "warehouse.duckdb"), read_only=True)
    loads = before.execute("select count(*) from raw._load_log").fetchone()[0]
    before.close()
    again = run_csw(["run"], env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = duckdb.connect(str(root / "a" / "warehouse.duckdb"), read_only=True)
    assert after.execute("select count(*) from raw._load_log").fetchone()[0] == loads, "no landing file read again"
    after.close()
    a, b = (root / n / "published" / "marts.duckdb" for n in ("a", "b"))
    assert published_differences(a, b) == []
    assert holders([root / "a", erased["landing"]], [erased["email"], erased["user_id"]]) == []


def test_erasing_someone_unknown_changes_nothing(erased) -> None:
    out = run_csw(["erase", "--email", "nobody@nowhere.example", "--reason", "DSR-3"], erased["env"])
    assert out.returncode == 1 and "nothing erased" in out.stderr


def test_scrubber_keeps_other_people_and_anonymises_whole_ids() -> None:
    person = Person(
        contact_ids={"C-1"},
        user_ids={"u-1"},
        emails={"ada@x.io"},
        names={"Ada L"},
        comments={"Too slow"},
        pseudonyms={"u-1": "anon-1"},
    )
    scrub = Scrubber(person)
    text = (
        "C-1,Ada L,ADA@x.io,Too slow\n"  # the person's line: name, comment and address go
        "C-2,Ada L,jada@x.io,Too slow\n"  # someone else with the same name and comment keeps them
        '{"userId":"u-1","messageId":"idy-u-1","other":"u-10","mail":"ada%40x.io"}\n'
    )
    assert scrub.text(text) == (
        'C-1,,,\nC-2,Ada L,jada@x.io,Too slow\n{"userId":"anon-1","messageId":"idy-anon-1","other":"u-10","mail":""}\n'
    )
