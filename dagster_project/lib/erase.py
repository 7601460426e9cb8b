"""Erase a person on request (GDPR art. 17, CCPA): `csw erase --email | --contact-id | --user-id --reason`.

The person is found in the raw layer: the CRM contacts with that e-mail or id, the product users with
that e-mail or id. Their personal data is their e-mail addresses, their names, their NPS comments and
their product user ids; events keep an anonymous key (`anon-<random>`, the same for all of a user's
rows, not derivable from the id) so that every count stays what it was. Then, everywhere the project
keeps data:

- **the build file** (`warehouse.duckdb`): the raw tables, the load log's messages and the quarantined
  rows are scrubbed; every table dbt built (staging, intermediate, marts, seeds) is dropped, to be built
  again from the scrubbed raw layer by the next run (the models are a function of raw: incremental runs
  equal a full refresh); the file is then copied into a new one, so that no freed block keeps a value;
- **the landing files** (CSV, JSON lines, JSON pages, gzipped or not, Parquet) are rewritten, and the
  load log takes their new fingerprints so that no run reads them again;
- **the quarantine copies, the lake** (every load's Parquet file and the ledger), **every kept published
  version** (DuckDB files rewritten the same way, Parquet exports), **logs, quality reports and Dagster's
  event log** (SQLite, vacuumed);
- a file of a kind this cannot rewrite that holds the address stops the erasure with its name.

Afterwards every file is searched again for the addresses and ids (as text, UTF-16, URL- and JSON-
escaped, inside gzip, Parquet, DuckDB and SQLite): anything found fails the command. The erasure is
recorded in `raw._erasures` (when, who, why, what kind of identifier, counts) without the personal data.
No Dagster here; the folders are passed in.
"""

from __future__ import annotations

import gzip
import os
import re
import secrets
import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.lib.extract import sha256, sql_literal

KEEP_SCHEMAS = ("raw", "raw_accepted")
PARQUET_MAGIC = b"PAR1"
SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"  # at offset 8
GZIP_MAGIC = b"\x1f\x8b"
# columns that hold a contact's personal data, emptied on the contact's rows
CONTACT_FIELDS = ("full_name", "email", "comment", "first_name", "last_name")


class EraseError(RuntimeError):
    """The erasure cannot run or did not finish: the message says why and what to do."""


@dataclass
class Person:
    """What identifies the person and what is theirs, as found in raw."""

    contact_ids: set[str] = field(default_factory=set)
    user_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)  # lower case
    names: set[str] = field(default_factory=set)
    comments: set[str] = field(default_factory=set)
    pseudonyms: dict[str, str] = field(default_factory=dict)  # user id -> anonymous key

    def secrets(self) -> list[str]:
        """Every string that must not survive anywhere (names and comments may be shared by others)."""
        return sorted(self.emails | self.user_ids)

    def keys(self) -> list[str]:
        """What names the person in a record: a file without any of these holds nothing of theirs."""
        return sorted(self.emails | self.user_ids | self.contact_ids)


def find_person(
    conn: duckdb.DuckDBPyConnection, email: str | None = None, contact_id: str | None = None, user_id: str | None = None
) -> Person:
    person = Person()
    tables = {r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
    wanted_email = email.strip().lower() if email else None
    if "crm__contacts" in tables:
        for (cid,) in conn.execute(
            "select contact_id from raw.crm__contacts where lower(email) = ? or contact_id = ?",
            [wanted_email, contact_id],
        ).fetchall():
            person.contact_ids.add(cid)
    if person.contact_ids:
        ids = list(person.contact_ids)
        for name, mail in conn.execute(
            "select full_name, email from raw.crm__contacts where list_contains(?, contact_id)", [ids]
        ).fetchall():
            if name:
                person.names.add(name)
            if mail:
                person.emails.add(mail.lower())
        if "surveys__nps_responses" in tables:
            person.comments |= {
                c
                for (c,) in conn.execute(
                    "select comment from raw.surveys__nps_responses where list_contains(?, contact_id) "
                    "and comment is not null and comment <> ''",
                    [ids],
                ).fetchall()
            }
    if wanted_email:
        person.emails.add(wanted_email)
    if "product__users" in tables:
        emails = list(person.emails)
        for uid, mail in conn.execute(
            "select user_id, email from raw.product__users where list_contains(?, lower(email)) or user_id = ?",
            [emails, user_id],
        ).fetchall():
            person.user_ids.add(uid)
            if mail:
                person.emails.add(mail.lower())
    has_events = user_id is not None and "product__events" in tables
    if (
        has_events
        and conn.execute("select count(*) from raw.product__events where user_id = ?", [user_id]).fetchone()[0]
    ):
        person.user_ids.add(user_id)  # events of a user the users export never named
    person.pseudonyms = {uid: f"anon-{secrets.token_hex(8)}" for uid in sorted(person.user_ids)}
    if not (person.contact_ids or person.user_ids):
        person.emails.clear()
    return person


# -- text ------------------------------------------------------------------------------------------


def _variants(value: str) -> set[str]:
    """How a value may be written in a file: as is, URL-encoded, with `@` JSON-escaped."""
    return {value, urllib.parse.quote(value, safe=""), value.replace("@", "\\u0040")}


class Scrubber:
    """The person's values out of text, line by line: e-mails anywhere (any case), user ids as whole
    tokens (to their anonymous key), and names and comments on the lines that name the person."""

    # a user id is a whole token: not part of a longer id or address (`u-1` in `u-10`, `ada@x.io` in
    # `jada@x.io`); a hyphen may join it to another token (`idy-USR-1`, a message id built from it)
    BOUND_BEFORE = r"(?<![\w.@+])"
    BOUND_AFTER = r"(?![\w.@+])"

    def __init__(self, person: Person) -> None:
        self.person = person
        emails = sorted({v for e in person.emails for v in _variants(e)}, key=len, reverse=True)
        self.email_re = (
            re.compile(
                self.BOUND_BEFORE + "(" + "|".join(map(re.escape, emails)) + ")" + self.BOUND_AFTER, re.IGNORECASE
            )
            if emails
            else None
        )
        ids = sorted(person.user_ids, key=len, reverse=True)
        self.user_re = (
            re.compile(self.BOUND_BEFORE + "(" + "|".join(map(re.escape, ids)) + ")" + self.BOUND_AFTER)
            if ids
            else None
        )
        keys = sorted(person.contact_ids | person.user_ids, key=len, reverse=True)
        self.key_re = (
            re.compile(self.BOUND_BEFORE + "(" + "|".join(map(re.escape, keys)) + ")" + self.BOUND_AFTER)
            if keys
            else None
        )
        private = sorted(person.names | person.comments, key=len, reverse=True)
        self.private_re = re.compile("|".join(map(re.escape, private))) if private else None

    def mentions(self, text: str) -> bool:
        return bool((self.email_re and self.email_re.search(text)) or (self.key_re and self.key_re.search(text)))

    def line(self, text: str) -> str:
        if self.private_re is not None and self.mentions(text):
            text = self.private_re.sub("", text)
        if self.email_re is not None:
            text = self.email_re.sub("", text)
        if self.user_re is not None:
            text = self.user_re.sub(lambda m: self.person.pseudonyms[m.group(1)], text)
        return text

    def text(self, text: str) -> str:
        if not self.mentions(text):
            return text
        return "".join(self.line(part) for part in text.splitlines(keepends=True))


# -- DuckDB ----------------------------------------------------------------------------------------


def _sql_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def _re2(values: Iterable[str]) -> str:
    return "|".join(re.escape(v) for v in values)


def scrub_tables(conn: duckdb.DuckDBPyConnection, person: Person, schemas: Iterable[str] | None = None) -> int:
    """Scrub every base table (of `schemas`, default all) in place; returns the cells changed."""
    changed = 0
    where_schema = f"and schema_name in {_sql_list(schemas)}" if schemas is not None else ""
    tables = conn.execute(
        "select database_name, schema_name, table_name from duckdb_tables() "
        f"where database_name = current_database() {where_schema}"
    ).fetchall()
    emails = sorted({v for e in person.emails for v in _variants(e)})
    for db, schema, table in tables:
        name = f'"{db}"."{schema}"."{table}"'
        columns = dict(
            conn.execute(
                "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? "
                "and table_name = ?",
                [db, schema, table],
            ).fetchall()
        )
        text_cols = [c for c, t in columns.items() if t == "VARCHAR"]
        statements: list[str] = []
        if "contact_id" in columns and person.contact_ids:
            fields = [c for c in CONTACT_FIELDS if c in columns]
            if fields:
                sets = ", ".join(f'"{c}" = null' for c in fields)
                statements.append(f"update {name} set {sets} where contact_id in {_sql_list(person.contact_ids)}")
        if "user_id" in columns and "email" in columns and person.user_ids:
            statements.append(f"update {name} set email = null where user_id in {_sql_list(person.user_ids)}")
        for c in text_cols:
            col = f'"{c}"'
            if person.pseudonyms:
                cases = " ".join(f"when {sql_literal(u)} then {sql_literal(p)}" for u, p in person.pseudonyms.items())
                statements.append(
                    f"update {name} set {col} = case {col} {cases} end where {col} in {_sql_list(person.pseudonyms)}"
                )
            if person.emails:
                statements.append(f"update {name} set {col} = null where lower({col}) in {_sql_list(person.emails)}")
                # whole addresses only: `ada@x.io` inside `jada@x.io` is someone else's
                pattern = sql_literal("(^|[^A-Za-z0-9_.@+])(" + _re2(emails) + ")([^A-Za-z0-9_.@+]|$)")
                statements.append(
                    f"update {name} set {col} = regexp_replace({col}, {pattern}, '\\1\\3', 'gi') "
                    f"where regexp_matches({col}, {pattern}, 'i')"
                )
            keys = person.contact_ids | person.user_ids
            private = person.names | person.comments
            if keys and private:
                # names and comments inside text that names the person (a quarantined row, a message)
                mentions = " or ".join(f"contains({col}, {sql_literal(k)})" for k in sorted(keys))
                expr = col
                for value in sorted(private, key=len, reverse=True):
                    expr = f"replace({expr}, {sql_literal(value)}, '')"
                statements.append(f"update {name} set {col} = {expr} where {mentions}")
            for uid, pseudo in person.pseudonyms.items():
                # a user id inside text (a quarantined record, a message): whole tokens only
                pattern = "(^|[^A-Za-z0-9_.@+])" + re.escape(uid) + "([^A-Za-z0-9_.@+]|$)"
                pat = sql_literal(pattern)
                statements.append(
                    f"update {name} set {col} = regexp_replace({col}, {pat}, {sql_literal(chr(92) + '1' + pseudo + chr(92) + '2')}, 'g') "
                    f"where regexp_matches({col}, {pat})"
                )
        for statement in statements:
            changed += conn.execute(statement).fetchone()[0]
    return changed


def rewrite_duckdb(path: Path) -> None:
    """Copy the database into a new file and put it in place: the old file's freed blocks go with it."""
    tmp = path.with_name(path.name + ".erase-tmp")
    tmp.unlink(missing_ok=True)
    conn = duckdb.connect()
    try:
        conn.execute(f"attach '{path}' as src (read_only)")
        conn.execute(f"attach '{tmp}' as dst")
        conn.execute("copy from database src to dst")
        conn.execute("detach src")
        conn.execute("detach dst")
    finally:
        conn.close()
    os.replace(tmp, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def scrub_duckdb_file(path: Path, person: Person) -> int:
    conn = duckdb.connect(str(path))
    try:
        changed = scrub_tables(conn, person)
        conn.execute("checkpoint")
    finally:
        conn.close()
    rewrite_duckdb(path)
    return changed


def scrub_parquet(path: Path, person: Person) -> bool:
    """Rewrite a Parquet file whose text holds the person's values; False if it holds none."""
    if not still_holding(path, person, person.keys()):
        return False  # most of the lake's files: one scan, not a rewrite
    conn = duckdb.connect()
    try:
        conn.execute("set TimeZone = 'UTC'")
        conn.execute(f"create table t as select * from read_parquet('{path}')")
        if not scrub_tables(conn, person, schemas=["main"]):
            return False
        tmp = path.with_name(path.name + ".erase-tmp")
        conn.execute(f"copy t to '{tmp}' (format parquet, compression zstd)")
    finally:
        conn.close()
    os.replace(tmp, path)
    return True


# -- other files -----------------------------------------------------------------------------------


def kind_of(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head[8:12] == DUCKDB_MAGIC:
        return "duckdb"
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return "binary"
    return "text"


def scrub_text_file(path: Path, scrub: Scrubber) -> bool:
    text = path.read_text(encoding="utf-8")
    new = scrub.text(text)
    if new == text:
        return False
    _write_atomic(path, new.encode("utf-8"))
    return True


def scrub_gzip_file(path: Path, scrub: Scrubber) -> bool:
    raw = gzip.decompress(path.read_bytes())
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    new = scrub.text(text)
    if new == text:
        return False
    _write_atomic(path, gzip.compress(new.encode("utf-8"), mtime=0))
    return True


def scrub_sqlite(path: Path, scrub: Scrubber) -> bool:
    conn = sqlite3.connect(path)
    changed = 0
    try:
        conn.create_function("csw_scrub", 1, lambda v: scrub.text(v) if isinstance(v, str) else v, deterministic=True)
        conn.execute("pragma secure_delete = on")
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'").fetchall()]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'pragma table_info("{table}")').fetchall()]
            for c in columns:
                cur = conn.execute(
                    f'update "{table}" set "{c}" = csw_scrub("{c}") where typeof("{c}") = \'text\' '
                    f'and csw_scrub("{c}") <> "{c}"'
                )
                changed += cur.rowcount
        conn.commit()
        if changed:
            conn.execute("vacuum")
        conn.execute("pragma wal_checkpoint(truncate)")
    finally:
        conn.close()
    return changed > 0


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".erase-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def files_under(folders: Iterable[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for folder in folders:
        if not folder.exists():
            continue
        for p in sorted(folder.rglob("*")):
            real = p.resolve()
            if p.is_file() and not p.is_symlink() and real not in seen:
                seen.add(real)
                yield p


# -- finding what is left ------------------------------------------------------------------------------


def _needles(values: Iterable[str]) -> list[bytes]:
    out = []
    for value in values:
        for v in _variants(value) | {value.upper()}:
            out += [v.encode("utf-8"), v.encode("utf-16-le")]
    return out


def still_holding(path: Path, person: Person, values: Iterable[str] | None = None) -> bool:
    """Whether a file holds any of the person's e-mails or user ids (or `values`), in any of the ways a file
    keeps text: as bytes (UTF-8, UTF-16, URL- or JSON-escaped, any case), inside gzip, as Parquet, DuckDB values."""
    values = sorted(values) if values is not None else person.secrets()
    needles = _needles(values)
    data = path.read_bytes()
    low = data.lower()
    if any(n.lower() in low for n in needles):
        return True
    kind = kind_of(path)
    if kind == "gzip":
        try:
            inner = gzip.decompress(data).lower()
        except (OSError, EOFError):
            return False
        return any(n.lower() in inner for n in needles)
    if kind in ("parquet", "duckdb"):
        conn = duckdb.connect()
        try:
            if kind == "parquet":
                conn.execute(f"create view t as select * from read_parquet('{path}')")
                relations = [("t", [r[0] for r in conn.execute("describe t").fetchall()])]
            else:
                conn.execute(f"attach '{path}' as f (read_only)")
                relations = []
                for schema, table in conn.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = 'f'"
                ).fetchall():
                    cols = [
                        r[0]
                        for r in conn.execute(
                            "select column_name from duckdb_columns() where database_name = 'f' and schema_name = ? "
                            "and table_name = ?",
                            [schema, table],
                        ).fetchall()
                    ]
                    relations.append((f'f."{schema}"."{table}"', cols))
            lowered = [v.lower() for v in values]
            for relation, cols in relations:
                if not cols:
                    continue
                text = "lower(concat_ws('|', " + ", ".join(f'cast("{c}" as varchar)' for c in cols) + "))"
                hits = " or ".join(f"contains({text}, {sql_literal(v)})" for v in lowered)
                if conn.execute(f"select count(*) from {relation} where {hits}").fetchone()[0]:
                    return True
        finally:
            conn.close()
    return False


# -- the whole erasure -----------------------------------------------------------------------------------


@dataclass
class Erasure:
    contacts: int
    users: int
    files_rewritten: list[str] = field(default_factory=list)
    databases_rewritten: list[str] = field(default_factory=list)
    landing_refingerprinted: int = 0

    def summary(self) -> str:
        return (
            f"{self.contacts} contact(s) and {self.users} product user(s) erased; "
            f"{len(self.databases_rewritten)} DuckDB file(s) and {len(self.files_rewritten)} other file(s) rewritten; "
            f"{self.landing_refingerprinted} landing file(s) re-fingerprinted in the load log"
        )


def ensure_erasure_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        """create table if not exists raw._erasures (
            erased_at timestamptz, erased_by varchar, reason varchar, identified_by varchar,
            contacts integer, users integer, files_rewritten integer, databases_rewritten integer)"""
    )


def erase(
    warehouse: Path,
    landing: Path,
    folders: list[Path],
    *,
    email: str | None = None,
    contact_id: str | None = None,
    user_id: str | None = None,
    reason: str,
    by: str,
    progress=print,
) -> Erasure:
    """Erase one person everywhere under `landing` and `folders` (the data, quarantine, lake, publish and
    Dagster folders). Raises EraseError naming what to do. Stopped before the build file is rewritten
    (step 2), the same command finishes it: the person is found in raw until then. Stopped later (a file
    that cannot be written), the message names the files still holding the person: clean or delete them."""
    if sum(x is not None for x in (email, contact_id, user_id)) != 1:
        raise EraseError("give exactly one of --email, --contact-id, --user-id")
    if not warehouse.exists():
        raise EraseError(f"{warehouse} does not exist: nothing to erase from (run `csw rebuild` first if it was lost)")
    try:
        conn = duckdb.connect(str(warehouse))
    except duckdb.IOException as e:
        raise EraseError(f"{warehouse} is in use (a run is going on?): erase after it ends. ({e})") from e
    try:
        person = find_person(conn, email, contact_id, user_id)
        if not (person.contact_ids or person.user_ids):
            what = f"e-mail {email}" if email else f"contact {contact_id}" if contact_id else f"user {user_id}"
            raise EraseError(f"no contact or product user with {what} in the raw layer: nothing erased")
        progress(f"found {len(person.contact_ids)} contact(s), {len(person.user_ids)} product user(s)")
        # a file erase cannot rewrite that holds the person stops everything before anything changes
        unknown = [
            str(p)
            for p in files_under([landing, *folders])
            if p.resolve() != warehouse.resolve() and kind_of(p) == "binary" and still_holding(p, person)
        ]
        if unknown:
            raise EraseError(
                "these files hold the person's data in a form erase cannot rewrite; delete or clean them by hand, "
                "then erase again (nothing was changed): " + ", ".join(unknown)
            )
        scrub = Scrubber(person)
        result = Erasure(len(person.contact_ids), len(person.user_ids))
        # 1. the landing files, and their new fingerprints in the load log (no run reads them again)
        for path in files_under([landing]):
            if _scrub_file(path, person, scrub):
                rel = str(path.relative_to(landing))
                stat = path.stat()
                n = conn.execute(
                    "update raw._load_log set checksum = ?, file_size = ?, file_mtime_ns = ? where file_path = ?",
                    [sha256(path), stat.st_size, stat.st_mtime_ns, rel],
                ).fetchone()[0]
                result.landing_refingerprinted += 1 if n else 0
                result.files_rewritten.append(str(path))
        # 2. the build file: raw scrubbed, the models dropped (the next run builds them from raw), the record
        scrub_tables(conn, person, schemas=["raw"])
        for schema in [
            r[0]
            for r in conn.execute(
                "select schema_name from duckdb_schemas() where database_name = current_database() and not internal"
            ).fetchall()
        ]:
            if schema not in KEEP_SCHEMAS and schema != "main":
                conn.execute(f'drop schema "{schema}" cascade')
        for (table,) in conn.execute(
            "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'main'"
        ).fetchall():
            conn.execute(f'drop table main."{table}"')
        ensure_erasure_table(conn)
        conn.execute("checkpoint")
    finally:
        conn.close()
    rewrite_duckdb(warehouse)
    result.databases_rewritten.append(str(warehouse))
    progress(f"{warehouse}: raw scrubbed, models dropped, file rewritten")
    # 3. every other file: published versions, lake, quarantine, logs, reports, Dagster's storage
    for path in files_under(folders):
        if path.resolve() == warehouse.resolve() or path.is_relative_to(landing):
            continue
        kind = kind_of(path)
        if kind == "duckdb":
            # a published version is opened by BI tools: rewritten only when it names the person
            if still_holding(path, person, person.keys()):
                scrub_duckdb_file(path, person)
                result.databases_rewritten.append(str(path))
        elif _scrub_file(path, person, scrub, kind):
            result.files_rewritten.append(str(path))
    # 4. the record, without the personal data; then look again everywhere
    identified_by = "email" if email else "contact_id" if contact_id else "user_id"
    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute(
            "insert into raw._erasures values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                datetime.now(UTC),
                by,
                reason,
                identified_by,
                result.contacts,
                result.users,
                len(result.files_rewritten),
                len(result.databases_rewritten),
            ],
        )
    finally:
        conn.close()
    left = [str(p) for p in files_under([landing, *folders]) if still_holding(p, person)]
    if left:
        raise EraseError("the person's data is still in: " + ", ".join(left))
    return result


def _scrub_file(path: Path, person: Person, scrub: Scrubber, kind: str | None = None) -> bool:
    kind = kind or kind_of(path)
    if kind == "text":
        return scrub_text_file(path, scrub)
    if kind == "gzip":
        return scrub_gzip_file(path, scrub)
    if kind == "parquet":
        return scrub_parquet(path, person)
    if kind == "sqlite":
        return scrub_sqlite(path, scrub)
    return False
