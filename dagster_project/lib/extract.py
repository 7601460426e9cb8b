"""Load landing-folder files into `raw.<source>__<table>`, schema-checked and idempotent.

For each file not loaded before (by path and SHA-256) we read it with DuckDB,
check its columns against the contract, validate every value's type, and then,
in one transaction, append the good rows to the raw table, the bad rows to
`raw._quarantine_rows` (with file, line, column and reason) and a line to
`raw._load_log`. A file whose columns do not match the contract (a missing
required column, an unknown extra column) is copied to the quarantine folder
with a `.reason.txt` next to it and loads nothing. Either way, rows loaded by
earlier runs are never touched.

Each file is a load of its own (`_load_id`), judged once (`dagster_project.lib.loads`): a load
with quarantined rows, or a quarantined file, is rejected here; a clean one stays pending
until the raw suites judge it. dbt sees accepted loads only.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.contract import Table
from dagster_project.lib.loads import CONTRACT_CHECK, Load, ensure_accepted_view, ensure_load_tables, retire_removed
from dagster_project.lib.sources.profiles import (
    ExportRejected,
    ProfileReader,
    is_export_file,
    lookup_only_folders,
    readers_for,
)

FORMAT_BY_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
META_COLUMNS = (
    ("_load_id", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_line", "BIGINT"),
    ("_loaded_at", "TIMESTAMPTZ"),
)
MAX_ISSUES_REPORTED = 20
# columns of `_incoming` that are not the file's: its line, and a vendor export's record as the vendor wrote it
HIDDEN = ("_line", "_record")


@dataclass
class Issue:
    """One problem with the input, phrased for the person who has to fix it."""

    file: str
    line: int | None
    column: str | None
    reason: str
    record: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.reason}"


@dataclass
class LoadResult:
    table: str
    run_id: str | None
    files_loaded: int = 0
    files_skipped: int = 0
    files_quarantined: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    # vendor records a profile reads past on purpose (Segment's anonymous calls)
    rows_skipped: int = 0
    issues: list[Issue] = field(default_factory=list)
    # rejected loads whose file left the landing folder, retired by this run
    retired: list[Load] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.issues


class FileRejected(Exception):
    """The whole file cannot be loaded (schema drift, unreadable)."""


def ensure_schema(conn: duckdb.DuckDBPyConnection, table: Table) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(
        """create table if not exists raw._load_log (
            load_id varchar, table_name varchar, file_path varchar, checksum varchar, file_format varchar,
            extract_date varchar, status varchar, rows_loaded bigint, rows_quarantined bigint,
            message varchar, loaded_at timestamptz)"""
    )
    # size and mtime let a later run skip hashing files it has seen (warehouses from before lack them)
    conn.execute("alter table raw._load_log add column if not exists file_size bigint")
    conn.execute("alter table raw._load_log add column if not exists file_mtime_ns bigint")
    conn.execute(
        """create table if not exists raw._quarantine_rows (
            load_id varchar, table_name varchar, file_path varchar, line bigint, column_name varchar,
            reason varchar, record varchar, quarantined_at timestamptz)"""
    )
    cols = ", ".join(f'"{c.name}" {c.duckdb_type}' for c in table.columns)
    meta = ", ".join(f"{n} {t}" for n, t in META_COLUMNS)
    conn.execute(f"create table if not exists raw.{table.raw_name} ({cols}, {meta})")
    existing = {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [table.raw_name],
        ).fetchall()
    }
    for c in table.columns:  # the contract grew a column: add it, older rows get null
        if c.name not in existing:
            conn.execute(f'alter table raw.{table.raw_name} add column "{c.name}" {c.duckdb_type}')
    ensure_load_tables(conn)
    ensure_accepted_view(conn, table)


def landing_files(landing: Path) -> dict[str, str]:
    """Every extract file in the landing folder with a fingerprint (size and modification time)."""
    files = {}
    if landing.is_dir():
        # a vendor's lookup-only export (Zendesk organizations) is read by the loads that need it, never loaded
        lookup_only = lookup_only_folders()
        for p in sorted(landing.glob("*/*/*/*")):
            if (p.suffix.lower() in FORMAT_BY_SUFFIX or is_export_file(p)) and p.is_file():
                rel = p.relative_to(landing)
                if "/".join(rel.parts[:2]) in lookup_only:
                    continue
                stat = p.stat()
                files[str(rel)] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return files


def files_not_loaded(conn: duckdb.DuckDBPyConnection, landing: Path, migrate: bool = True) -> list[str]:
    """Landing files the load log does not know by path, size and modification time (what a run would read).
    `migrate=False` for a read-only connection to a log that has the current columns."""
    if migrate:
        ensure_load_tables(conn)
    known = {
        (path, f"{size}:{mtime}")
        for path, size, mtime in conn.execute(
            "select file_path, file_size, file_mtime_ns from raw._load_log where file_size is not null"
        ).fetchall()
    }
    return [path for path, fingerprint in landing_files(landing).items() if (path, fingerprint) not in known]


def discover(landing_dir: Path, table: Table) -> list[Path]:
    base = landing_dir / table.source / table.name
    if not base.is_dir():
        return []
    return sorted(p for p in base.glob("*/*") if p.is_file() and p.suffix.lower() in FORMAT_BY_SUFFIX)


def source_format(path: Path, reader: ProfileReader | None = None) -> str:
    """The load log's file_format: csv, jsonl, parquet, or the vendor whose profile read it."""
    return reader.format if reader is not None else FORMAT_BY_SUFFIX[path.suffix.lower()]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sql_literal(s: str) -> str:
    """`s` as a SQL string literal (file paths in DuckDB table functions)."""
    return "'" + s.replace("'", "''") + "'"


def _read_into_incoming(conn: duckdb.DuckDBPyConnection, path: Path, fmt: str, rel: str) -> list[Issue]:
    """Create the temp view `_incoming` (the file's own columns + `_line`); return line-level read errors.

    Parquet is read where it lies (each read costs little); CSV and JSON lines are read once into a
    temp table, since finding their malformed lines needs a pass of its own.
    """
    p = sql_literal(str(path))
    issues: list[Issue] = []
    _drop_incoming(conn)
    if fmt == "csv":
        conn.execute("drop table if exists _csv_rejects; drop table if exists _csv_scans")
        try:
            conn.execute(
                # the contract's delimiter (docs/sources.md) saves the sniffer a quarter of the read; the
                # quote is still sniffed: a file with a broken quote is then read unquoted and its bad
                # lines named, where a fixed quote character makes DuckDB reject the whole file
                f"""create temp table _raw_csv as select * from read_csv({p}, all_varchar = true, header = true,
                    delim = ',', auto_detect = true, strict_mode = true,
                    store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans')"""
            )
        except duckdb.Error as e:
            raise FileRejected(f"cannot be read as CSV: {e}") from e
        rejects = conn.execute(
            "select line, any_value(column_name), string_agg(error_type || ': ' || error_message, '; '), any_value(csv_line) "
            "from _csv_rejects group by line order by line"
        ).fetchall()
        for line, col, msg, text in rejects:
            issues.append(Issue(rel, int(line), col, f"malformed CSV line ({msg}): {text!r}", text))
        # DuckDB keeps file order; map the k-th good row back to its line, skipping rejected lines.
        # A view, not a copy: the file is already in _raw_csv once.
        if rejects:
            conn.execute("create or replace temp table _rej_lines (good_before bigint)")
            for j, (line, *_rest) in enumerate(rejects):
                conn.execute("insert into _rej_lines values (?)", [int(line) - 2 - j])
            skipped = "(select count(*) from _rej_lines where good_before <= r.rowid)"
        else:
            skipped = "0"
        conn.execute(f"create temp view _incoming as select r.*, r.rowid + 2 + {skipped} as _line from _raw_csv r")
    elif fmt == "jsonl":
        try:
            conn.execute(
                # Each JSON function parses the text again: validity is parsed once here, then keys
                # and values once each. A valid JSON text that starts with `{` is an object.
                f"""create temp table _lines as select column0 as text, row_number() over () as _line,
                    json_valid(column0) and regexp_matches(column0, '^\\s*[{{]') as ok
                    from read_csv({p}, columns = {{'column0': 'VARCHAR'}}, header = false, delim = '\\x1f',
                                  quote = '', escape = '', strict_mode = false, auto_detect = false)"""
            )
        except duckdb.Error as e:
            raise FileRejected(f"cannot be read as JSON lines: {e}") from e
        bad = conn.execute("select _line, text from _lines where not ok and trim(text) <> '' order by _line").fetchall()
        for line, text in bad:
            issues.append(Issue(rel, int(line), None, f"malformed JSON line: {text[:200]!r}", text))
        keys = [
            r[0]
            for r in conn.execute(
                "select k from (select distinct unnest(json_keys(text)) as k from _lines where ok) order by k"
            ).fetchall()
        ]
        if keys:
            paths = "[" + ", ".join(sql_literal("$." + _json_path(k)) for k in keys) + "]"
            cols = ", ".join(f'v[{i}] as "{k}"' for i, k in enumerate(keys, start=1))
            conn.execute(
                f"create temp table _raw_json as select {cols}, _line "
                f"from (select json_extract_string(text, {paths}) as v, _line from _lines where ok) order by _line"
            )
        else:
            conn.execute("create temp table _raw_json as select _line from _lines where ok")
        conn.execute("drop table _lines")
        conn.execute("create temp view _incoming as select * from _raw_json")
    else:
        try:
            conn.execute(
                f"create temp view _incoming as select * exclude (file_row_number), file_row_number + 1 as _line "
                f"from read_parquet({p}, file_row_number = true)"
            )
            conn.execute("select * from _incoming limit 0")
        except duckdb.Error as e:
            raise FileRejected(f"cannot be read as Parquet: {e}") from e
    return issues


def _json_path(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _check_columns(conn: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    """Compare the file's columns with the contract; return the contract columns the file lacks (optional ones)."""
    present = [
        r[0] for r in conn.execute("select column_name from (describe _incoming)").fetchall() if r[0] not in HIDDEN
    ]
    expected = set(table.column_names)
    extra = [c for c in present if c not in expected]
    missing_required = [c for c in table.required_columns if c not in present]
    problems = []
    if missing_required:
        problems.append(f"missing required column(s) {', '.join(missing_required)}")
    if extra:
        problems.append(
            f"unknown column(s) {', '.join(extra)} not in the contract (schema drift: add them to "
            "dagster_project/contract.py and docs/sources.md, or fix the export)"
        )
    if problems:
        raise FileRejected("; ".join(problems) + f". Expected columns: {', '.join(table.column_names)}")
    return [c for c in table.column_names if c not in present]


def _drop_incoming(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "drop view if exists _incoming; drop table if exists _raw_csv; drop table if exists _raw_json; "
        "drop table if exists _lines; drop table if exists _mapped; drop table if exists _vendor"
    )


def _value_checks(table: Table, absent: list[str]) -> list[tuple[str, str, str]]:
    """(column, condition true for a bad value, reason as SQL) for each contract column the file has."""
    checks = []
    for c in table.columns:
        if c.name in absent:
            continue
        col = f'"{c.name}"'
        if c.required:
            checks.append((c.name, f"{col} is null", "'required value is missing'"))
        checks.append(
            (
                c.name,
                f"{col} is not null and try_cast({col} as {c.duckdb_type}) is null",
                f"'cannot read ' || {_quote_value(col)} || ' as {c.type}'",
            )
        )
    return checks


def _suspect_rows_sql(checks: list[tuple[str, str, str]]) -> str:
    """Rows with any bad value, in one scan of the file (almost always none)."""
    return "select * from _incoming where " + (" or ".join(f"({cond})" for _, cond, _ in checks) or "false")


def _row_errors_sql(checks: list[tuple[str, str, str]]) -> str:
    """Every bad value of the suspect rows, one row per line and column."""
    return " union all ".join(
        f"select _line, '{name}' as column_name, {reason} as reason from _suspect where {cond}"
        for name, cond, reason in checks
    )


def _suspect_records(conn: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Each suspect row as JSON (its file's columns, not the line number), by line."""
    cols = [r[0] for r in conn.execute("select column_name from (describe _suspect)").fetchall() if r[0] not in HIDDEN]
    if "_record" in [r[0] for r in conn.execute("select column_name from (describe _suspect)").fetchall()]:
        return dict(conn.execute("select _line, _record from _suspect").fetchall())
    record = "struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in cols) + ")"
    return dict(conn.execute(f"select _line, cast(to_json({record}) as varchar) from _suspect").fetchall())


def _quote_value(col: str) -> str:
    return f"'''' || cast({col} as varchar) || ''''"


LOG_COLUMNS = (
    "load_id, table_name, file_path, checksum, file_format, extract_date, status, rows_loaded, "
    "rows_quarantined, message, loaded_at, file_size, file_mtime_ns, run_id, verdict, failed_checks, "
    "failure_detail, verdict_at"
)


def new_load_id(now: datetime) -> str:
    """Sortable, unique, short enough to type: `20261116T060012-3f9a1c`."""
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def contract_verdict(issues: list[Issue], loaded_at: datetime) -> tuple[str, str | None, str | None, datetime | None]:
    """(verdict, failed_checks, failure_detail, verdict_at) of a new load: rejected if the contract check failed."""
    if not issues:
        return "pending", None, None, None
    shown = "\n".join(f"  {issue}" for issue in issues[:MAX_ISSUES_REPORTED])
    more = (
        f"\n  ... and {len(issues) - MAX_ISSUES_REPORTED} more (raw._quarantine_rows)"
        if len(issues) > MAX_ISSUES_REPORTED
        else ""
    )
    return "rejected", CONTRACT_CHECK, f"{CONTRACT_CHECK}: {len(issues)} problem(s):\n{shown}{more}", loaded_at


@dataclass(frozen=True)
class SourceFile:
    """A landing file as the load log knows it: path relative to the landing folder, content hash, size, mtime."""

    path: Path
    rel: str
    checksum: str
    size: int
    mtime_ns: int


def load_file(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    source: SourceFile,
    load_id: str,
    loaded_at: datetime,
    run_id: str | None = None,
    also_in_transaction: Sequence[tuple[str, list]] = (),
    reader: ProfileReader | None = None,
) -> tuple[int, int, list[Issue]]:
    """Load one file as one load; `also_in_transaction` (SQL, parameters) commit with it or not at all.

    `reader`: a vendor export read through its profile (`lib/sources/profiles.py`) instead of a native file.
    """
    path, rel = source.path, source.rel
    fmt = source_format(path, reader)
    if reader is None:
        read_issues = _read_into_incoming(conn, path, fmt, rel)
    else:
        _drop_incoming(conn)
        try:
            read_issues = [
                Issue(rel, line, col, reason, text) for line, col, reason, text in reader.read(conn, path, rel)
            ]
        except ExportRejected as e:
            raise FileRejected(str(e)) from e
    absent = _check_columns(conn, table)
    # Checking each column in a scan of its own read big files once per column: find the rows
    # with any problem in one scan, then name every problem of those few rows.
    checks = _value_checks(table, absent)
    suspects = conn.execute(f"create or replace temp table _suspect as {_suspect_rows_sql(checks)}").fetchone()[0]
    has_errors = suspects > 0
    value_issues = []
    if has_errors:  # almost never: skip planning a union of two queries per column for every file
        conn.execute(f"create or replace temp table _row_errors as {_row_errors_sql(checks)}")
        labels = reader.labels if reader is not None else {}
        value_issues = [
            Issue(rel, int(line), labels.get(col, col), reason)
            for line, col, reason in conn.execute(
                "select _line, column_name, reason from _row_errors order by _line, column_name"
            ).fetchall()
        ]
    select_cols = []
    for c in table.columns:
        select_cols.append(
            f"cast(null as {c.duckdb_type})" if c.name in absent else f'cast("{c.name}" as {c.duckdb_type})'
        )
    target_cols = ", ".join([f'"{c}"' for c in table.column_names] + [n for n, _ in META_COLUMNS])
    extract_date = path.parent.name
    # Line numbers are fixed by now (Parquet's file_row_number; the CSV temp table's rowid and the
    # JSON lines' row_number(), both taken with insertion order kept), so the rows may be written
    # in any order: without the ordering, DuckDB writes in parallel (M: events 16 s -> 11 s).
    conn.execute("set preserve_insertion_order = false")
    conn.execute("begin transaction")
    try:
        loaded = conn.execute(
            f"""insert into raw.{table.raw_name} ({target_cols})
                select {", ".join(select_cols)}, ?, ?, _line, ?
                from _incoming
                {"where not exists (select 1 from _row_errors where _row_errors._line = _incoming._line)" if has_errors else ""}""",
            [load_id, rel, loaded_at],
        ).fetchone()[0]
        all_issues = read_issues + value_issues
        records = _suspect_records(conn) if has_errors else {}
        for issue in all_issues:
            record = issue.record if issue.record is not None else records.get(issue.line)
            conn.execute(
                "insert into raw._quarantine_rows values (?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, table.raw_name, rel, issue.line, issue.column, issue.reason, record, loaded_at],
            )
        bad_lines = len({i.line for i in all_issues})
        conn.execute(
            f"insert into raw._load_log ({LOG_COLUMNS}) "
            "values (?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                table.raw_name,
                rel,
                source.checksum,
                fmt,
                extract_date,
                loaded,
                bad_lines,
                f"{len(all_issues)} problem(s)" if all_issues else None,
                loaded_at,
                source.size,
                source.mtime_ns,
                run_id,
                *contract_verdict(all_issues, loaded_at),
            ],
        )
        for sql, params in also_in_transaction:
            conn.execute(sql, params)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.execute("set preserve_insertion_order = true")  # the next file's line numbers need it
        _drop_incoming(conn)
        conn.execute("drop table if exists _suspect; drop table if exists _row_errors")
    return loaded, bad_lines, read_issues + value_issues


def quarantine_file(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    source: SourceFile,
    load_id: str,
    loaded_at: datetime,
    reason: str,
    quarantine_dir: Path,
    run_id: str | None = None,
    reader: ProfileReader | None = None,
) -> Issue:
    target = quarantine_dir / source.rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.path, target)
    target.with_name(target.name + ".reason.txt").write_text(f"{reason}\n")
    issue = Issue(source.rel, None, None, f"file quarantined to {target}: {reason}")
    conn.execute(
        f"insert into raw._load_log ({LOG_COLUMNS}) "
        "values (?, ?, ?, ?, ?, ?, 'quarantined', 0, null, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            table.raw_name,
            source.rel,
            source.checksum,
            source_format(source.path, reader),
            source.path.parent.name,
            reason,
            loaded_at,
            source.size,
            source.mtime_ns,
            run_id,
            *contract_verdict([issue], loaded_at),
        ],
    )
    return issue


def load_table(
    conn: duckdb.DuckDBPyConnection, table: Table, landing_dir: Path, quarantine_dir: Path, run_id: str | None = None
) -> LoadResult:
    """Load every new file of one source table. Safe to call again: loaded files are skipped.

    A file is known by path and SHA-256. Hashing every landing file on every run grows with
    history (1.5 s per run at 5,000 accounts), so a file whose path, size and modification
    time match a logged one is skipped without hashing, like make and rsync do; any change
    to the file changes its mtime and brings the hash comparison back.
    """
    result = LoadResult(table.raw_name, run_id)
    conn.execute("set TimeZone = 'UTC'")
    ensure_schema(conn, table)
    logged = conn.execute(
        "select file_path, checksum, file_size, file_mtime_ns from raw._load_log where table_name = ?",
        [table.raw_name],
    ).fetchall()
    done = {(rel, checksum) for rel, checksum, _, _ in logged}
    unchanged = {(rel, size, mtime) for rel, _, size, mtime in logged if size is not None}
    # native files, then vendor exports read through their profile (lib/sources/profiles.py)
    files: list[tuple[Path, ProfileReader | None]] = [(p, None) for p in discover(landing_dir, table)]
    files += list(readers_for(landing_dir, table))
    result.retired = retire_removed(conn, table.raw_name, {str(p.relative_to(landing_dir)) for p, _ in files})
    for path, reader in files:
        rel = str(path.relative_to(landing_dir))
        stat = path.stat()
        if (rel, stat.st_size, stat.st_mtime_ns) in unchanged:
            result.files_skipped += 1
            continue
        source = SourceFile(path, rel, sha256(path), stat.st_size, stat.st_mtime_ns)
        if (rel, source.checksum) in done:
            # the same bytes with a new modification time (copied, touched): the log learns the new one, so the
            # next run skips the file without hashing it, and `csw run` does not count it as unread
            conn.execute(
                "update raw._load_log set file_size = ?, file_mtime_ns = ? "
                "where table_name = ? and file_path = ? and checksum = ?",
                [stat.st_size, stat.st_mtime_ns, table.raw_name, rel, source.checksum],
            )
            result.files_skipped += 1
            continue
        loaded_at = datetime.now(UTC)
        load_or_quarantine(
            conn, table, source, new_load_id(loaded_at), loaded_at, quarantine_dir, result, reader=reader
        )
    return result


def load_or_quarantine(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    source: SourceFile,
    load_id: str,
    loaded_at: datetime,
    quarantine_dir: Path,
    result: LoadResult,
    also_in_transaction: Sequence[tuple[str, list]] = (),
    reader: ProfileReader | None = None,
) -> bool:
    """Load one file into `result`, or quarantine it whole (schema drift, unreadable); True if it loaded."""
    try:
        loaded, bad, issues = load_file(
            conn,
            table,
            source,
            load_id,
            loaded_at,
            result.run_id,
            also_in_transaction=also_in_transaction,
            reader=reader,
        )
    except FileRejected as e:
        result.issues.append(
            quarantine_file(conn, table, source, load_id, loaded_at, str(e), quarantine_dir, result.run_id, reader)
        )
        result.files_quarantined += 1
        return False
    result.files_loaded += 1
    result.rows_skipped += reader.skipped if reader is not None else 0
    result.rows_loaded += loaded
    result.rows_quarantined += bad
    result.issues.extend(issues)
    return True
