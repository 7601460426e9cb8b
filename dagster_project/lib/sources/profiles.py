"""Read vendor exports (Salesforce, HubSpot, Segment, Zendesk, ...) through declarative profiles.

A profile (`dagster_project/sources/profiles/<vendor>.yml`) says, for each of the vendor's objects, where
its export lands (`landing/<vendor>/<object>/<extract_date>/<file>`), how the file is laid out (`format`:
`csv` with a header, `jsonl` (gzipped or not) or `json_pages`, one JSON document per API page with the
records under `records`), and which contract table each record becomes, column by column:

    columns:
      account_id: Id                               # a field (a dotted path into nested JSON)
      csm_name: {field: [firstName, lastName], join: " "}
      region: {field: Region__c, values: {NA: NA, EMEA: EMEA}}      # an enumeration
      created_at: {field: CreatedDate, convert: timestamp}
      account_id: {field: organization_id, lookup: {object: organizations, key: id, value: external_id}}

A field listed in `field` as a list means the first one with a value (`join:` joins them instead).
Conversions: `timestamp` (epoch seconds or milliseconds to a time; ISO 8601 text passes to the contract
check as it is, which reads any offset), `boolean` (true/false, 1/0, yes/no), `integer`, `bands` (a number
to the label of the first band whose upper bound it does not exceed); `default:` for no value. A value
outside `values` is a row problem unless `unmapped: keep` passes it through or `otherwise:` names what it
becomes. `lookup`
replaces the value by a field of another record: `records:` one of the same file (a sideloaded array),
`object:` one of the vendor's lookup-only objects (every file of it, latest `version` first); a list of
lookups is followed step by step (Intercom: conversation -> contact -> company).

Each table's mapping compiles to one SQL statement per file over the records' JSON text (`mapping_sql`:
one parse per record for all the fields it reads, lookups as joins; JSON lines are read by DuckDB, CSV and
API pages by Python). What comes out is one contract-shaped row per record, with the record's line (CSV
line, JSON line, or position in the page) and the record itself kept for the quarantine. From there the file loader takes
over exactly as for a native file (`lib/extract.load_file`): contract check, quarantine with file and
line, verdict, lineage, gate. A file that lacks a field the profile needs (a column renamed by an admin)
or cannot be read (a page cut off) is quarantined whole with the field named. Nothing here knows a
vendor: a new vendor is a new profile file. No Dagster here.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from dagster_project.contract import TABLES_BY_NAME, Table

PROFILE_DIR = Path(__file__).resolve().parents[2] / "sources" / "profiles"
PROFILE_FORMATS = ("csv", "jsonl", "json_pages")
SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".json", ".json.gz", ".gz")
CONVERSIONS = ("timestamp", "boolean", "integer", "bands")
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}


class ProfileError(ValueError):
    """A profile file that cannot be used, with the file and the key named."""


class ExportRejected(Exception):
    """A vendor file that cannot be read as the profile says (a field missing from the header, a page cut off)."""


@dataclass(frozen=True)
class Lookup:
    kind: str  # "records" (same file) or "object" (a lookup-only object, every file)
    name: str
    key: str
    value: str


@dataclass(frozen=True)
class ColumnMap:
    column: str
    fields: tuple[str, ...]
    convert: str | None = None
    values: Mapping[str, Any] | None = None
    unmapped: str = "error"
    otherwise: Any = None  # what a value outside `values` becomes when `unmapped: otherwise`
    optional: bool = False
    default: Any = None
    join: str | None = None
    bands: tuple[tuple[float | None, str], ...] = ()
    lookup: tuple[Lookup, ...] = ()

    def describe(self, vendor: str) -> str:
        """`properties.name`, or `organization_id → organizations.external_id`, for messages and docs."""
        text = (self.join or " or ").join(self.fields) if len(self.fields) > 1 else self.fields[0]
        for step in self.lookup:
            text += f" → {step.name}.{step.value}"
        return text


@dataclass(frozen=True)
class TableMap:
    table: Table
    where: Mapping[str, tuple[str, ...]]
    columns: tuple[ColumnMap, ...]
    not_carried: Mapping[str, str]
    # fields a record must have to be read at all (Segment's anonymous calls have no userId): others are skipped
    skip_without: tuple[str, ...] = ()


@dataclass(frozen=True)
class VendorObject:
    name: str
    records: str | None  # json_pages: the page's array holding the records
    id_field: str | None
    docs: str
    tables: tuple[TableMap, ...]
    version: str | None = None  # lookup-only objects: the field whose latest value wins
    lookup_only: bool = False


@dataclass(frozen=True)
class Profile:
    vendor: str
    title: str
    format: str
    docs: str
    export: str
    objects: Mapping[str, VendorObject]
    path: Path
    notes: str = ""

    def tables_for(self, raw_name: str) -> list[tuple[VendorObject, TableMap]]:
        return [(o, t) for o in self.objects.values() for t in o.tables if t.table.raw_name == raw_name]


# -- reading profiles ---------------------------------------------------------------------------


def _fail(path: Path, where: str, message: str) -> ProfileError:
    return ProfileError(f"{path}: {where}: {message}")


def _column_map(path: Path, where: str, table: Table, column: str, spec: Any) -> ColumnMap:
    if column not in table.column_names:
        raise _fail(path, where, f"'{column}' is not a column of {table.raw_name} ({', '.join(table.column_names)})")
    if isinstance(spec, str):
        return ColumnMap(column, (spec,))
    if not isinstance(spec, dict) or "field" not in spec:
        raise _fail(path, where, "give the vendor field, or a mapping with `field:` and options")
    unknown = set(spec) - {
        "field",
        "convert",
        "values",
        "unmapped",
        "optional",
        "default",
        "join",
        "bands",
        "lookup",
        "otherwise",
    }
    if unknown:
        raise _fail(path, where, f"unknown option(s) {', '.join(sorted(unknown))}")
    fields = (spec["field"],) if isinstance(spec["field"], str) else tuple(spec["field"])
    convert = spec.get("convert")
    if convert is not None and convert not in CONVERSIONS:
        raise _fail(path, where, f"convert '{convert}' is not one of {', '.join(CONVERSIONS)}")
    bands: tuple[tuple[float | None, str], ...] = ()
    if convert == "bands":
        raw = spec.get("bands")
        if not isinstance(raw, list) or not raw:
            raise _fail(path, where, "convert: bands needs `bands: [[upper, label], ..., [null, label]]`")
        bands = tuple((None if upper is None else float(upper), str(label)) for upper, label in raw)
    lookup = []
    steps = spec.get("lookup") or []
    for lk in steps if isinstance(steps, list) else [steps]:
        kind = "records" if "records" in lk else "object" if "object" in lk else None
        if kind is None or "key" not in lk or "value" not in lk:
            raise _fail(path, where, "lookup needs `records:` or `object:`, `key:` and `value:`")
        lookup.append(Lookup(kind, lk[kind], lk["key"], lk["value"]))
    unmapped = "otherwise" if "otherwise" in spec else spec.get("unmapped", "error")
    if unmapped not in ("error", "keep", "otherwise"):
        raise _fail(path, where, "unmapped is `error` (the default) or `keep`; or give `otherwise: <value>`")
    values = spec.get("values")
    return ColumnMap(
        column,
        fields,
        convert,
        {str(k): v for k, v in values.items()} if values else None,
        unmapped,
        spec.get("otherwise"),
        bool(spec.get("optional", False)),
        spec.get("default"),
        spec.get("join"),
        bands,
        tuple(lookup),
    )


def read_profile(path: Path) -> Profile:
    """Read and check one profile file; errors name the file and the key."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ProfileError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(doc, dict):
        raise ProfileError(f"{path}: expected a mapping with vendor, format and objects")
    for key in ("vendor", "title", "format", "docs", "export", "objects"):
        if key not in doc:
            raise _fail(path, key, "missing")
    if doc["vendor"] != path.stem:
        # the landing folder is landing/<vendor>/: one name for the file, the folder and the load log
        raise _fail(path, "vendor", f"vendor '{doc['vendor']}' must be the file's name ('{path.stem}')")
    if doc["format"] not in PROFILE_FORMATS:
        raise _fail(path, "format", f"'{doc['format']}' is not one of {', '.join(PROFILE_FORMATS)}")
    objects: dict[str, VendorObject] = {}
    for name, spec in doc["objects"].items():
        tables = []
        for raw_name, tspec in (spec.get("tables") or {}).items():
            where = f"objects.{name}.tables.{raw_name}"
            if raw_name not in TABLES_BY_NAME:
                raise _fail(path, where, f"'{raw_name}' is not a contract table ({', '.join(TABLES_BY_NAME)})")
            table = TABLES_BY_NAME[raw_name]
            columns = tuple(
                _column_map(path, f"{where}.columns.{col}", table, col, cspec)
                for col, cspec in (tspec.get("columns") or {}).items()
            )
            not_carried = {str(k): str(v) for k, v in (tspec.get("not_carried") or {}).items()}
            mapped = {c.column for c in columns}
            unaccounted = [c for c in table.required_columns if c not in mapped and c not in not_carried] + [
                c for c in table.column_names if c not in mapped and c not in not_carried and c != "is_deleted"
            ]
            if unaccounted:
                raise _fail(
                    path,
                    where,
                    f"column(s) {', '.join(dict.fromkeys(unaccounted))} neither mapped nor listed under not_carried "
                    "(say what the vendor lacks and what that costs)",
                )
            missing_required = [c for c in table.required_columns if c in not_carried]
            if missing_required:
                raise _fail(path, where, f"required column(s) {', '.join(missing_required)} cannot be not_carried")
            tables.append(
                TableMap(
                    table,
                    {
                        k: tuple(str(x) for x in (v if isinstance(v, list) else [v]))
                        for k, v in (tspec.get("where") or {}).items()
                    },
                    columns,
                    not_carried,
                    tuple(tspec.get("skip_without") or ()),
                )
            )
        objects[name] = VendorObject(
            name,
            spec.get("records"),
            spec.get("id"),
            spec.get("docs", doc["docs"]),
            tuple(tables),
            spec.get("version"),
            bool(spec.get("lookup_only", False)),
        )
        if doc["format"] == "json_pages" and not spec.get("records"):
            raise _fail(path, f"objects.{name}", "json_pages needs `records:` (the page's array of records)")
    profile = Profile(
        doc["vendor"], doc["title"], doc["format"], doc["docs"], doc["export"], objects, path, doc.get("notes", "")
    )
    for obj in objects.values():
        for tmap in obj.tables:
            for c in tmap.columns:
                for step in c.lookup:
                    if step.kind == "object" and step.name not in objects:
                        raise _fail(path, f"objects.{obj.name}", f"lookup object '{step.name}' is not in objects")
    return profile


@cache
def _profiles_in(directory: Path) -> tuple[Profile, ...]:
    return tuple(read_profile(p) for p in sorted(directory.glob("*.yml")))


def profiles(directory: Path = PROFILE_DIR) -> tuple[Profile, ...]:
    """Every vendor profile (read once per process)."""
    return _profiles_in(directory)


def lookup_only_folders(directory: Path = PROFILE_DIR) -> set[str]:
    """`vendor/object` folders read only for lookups: never loads of their own."""
    return {f"{p.vendor}/{o.name}" for p in profiles(directory) for o in p.objects.values() if o.lookup_only}


def is_export_file(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(SUFFIXES)


def export_files(landing: Path, profile: Profile, obj: VendorObject) -> list[Path]:
    base = landing / profile.vendor / obj.name
    if not base.is_dir():
        return []
    return sorted(p for p in base.glob("*/*") if is_export_file(p))


# -- reading records ------------------------------------------------------------------------------


@dataclass
class Record:
    line: int
    data: Mapping[str, Any]
    text: str


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def read_records(
    path: Path, profile: Profile, obj: VendorObject
) -> tuple[list[Record], list[tuple[int, str]], set[str] | None, dict]:
    """(records, malformed (line, text), CSV header or None, the whole page for json_pages)."""
    records: list[Record] = []
    malformed: list[tuple[int, str]] = []
    try:
        with _open_text(path) as fh:
            if profile.format == "csv":
                reader = csv.reader(fh)
                header = next(reader, None)
                if header is None:
                    return [], [], set(), {}
                names = [h.strip() for h in header]
                for row in reader:
                    line = reader.line_num
                    if len(row) != len(names):
                        if row:
                            malformed.append((line, ",".join(row)))
                        continue
                    data = dict(zip(names, row, strict=True))
                    records.append(Record(line, data, json.dumps(data)))
                return records, malformed, set(names), {}
            if profile.format == "jsonl":
                for line, text in enumerate(fh, start=1):
                    if not text.strip():
                        continue
                    try:
                        data = json.loads(text)
                    except json.JSONDecodeError:
                        malformed.append((line, text.rstrip("\n")))
                        continue
                    if not isinstance(data, dict):
                        malformed.append((line, text.rstrip("\n")))
                        continue
                    records.append(Record(line, data, text.rstrip("\n")))
                return records, malformed, None, {}
            text = fh.read()
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as e:
        raise ExportRejected(f"cannot be read: {e}") from e
    try:
        page = json.loads(text)
    except json.JSONDecodeError as e:
        raise ExportRejected(
            f"is not a complete JSON page ({e.msg} at line {e.lineno}, column {e.colno}): the export was cut off or "
            "is not an API page; fetch the page again"
        ) from e
    if not isinstance(page, dict) or not isinstance(page.get(obj.records), list):
        raise ExportRejected(f"has no '{obj.records}' array: not a page of {profile.title} {obj.name}")
    for i, data in enumerate(page[obj.records], start=1):
        if isinstance(data, dict):
            records.append(Record(i, data, json.dumps(data, separators=(",", ":"))))
        else:
            malformed.append((i, json.dumps(data)))
    return records, malformed, None, page


_MISSING = object()


def field_value(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`properties.name`, `associations.companies.results.0.id`); _MISSING if absent."""
    value: Any = data
    for part in path.split("."):
        if isinstance(value, Mapping):
            if part in value:
                value = value[part]
                continue
            return _MISSING
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
            continue
        return _MISSING
    return value


def _empty(value: Any) -> bool:
    return value is _MISSING or value is None or value == ""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# -- the mapping as SQL -------------------------------------------------------------------------------
# Each profile column compiles to one SQL expression over the record's JSON text (`text`), so a file is
# mapped in one DuckDB scan: at S, 1.2M Segment calls mapped record by record in Python took 117 s.


def _lit(value: Any) -> str:
    return "null" if value is None else "'" + _text(value).replace("'", "''") + "'"


def _json_path(path: str) -> str:
    """`properties.name` -> `$."properties"."name"`, `results.0.id` -> `$."results"[0]."id"`."""
    out = "$"
    for part in path.split("."):
        out += f"[{part}]" if part.isdigit() else '."' + part.replace('"', '\\"') + '"'
    return out


class _Fields:
    """The fields a mapping reads, extracted from each record's JSON in one parse (`_f`, a list): a
    json_extract_string per field parses the record again for each (the events at S: 11.5 s -> see
    bench/results/vendor-extract-*)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def raw(self, path: str) -> str:
        if path not in self.paths:
            self.paths.append(path)
        return f"_f[{self.paths.index(path) + 1}]"

    def sql(self, path: str) -> str:
        # a JSON null and an empty string are no value, as an empty CSV field is
        return f"nullif({self.raw(path)}, '')"

    def extract(self) -> str:
        if not self.paths:
            return "[]::varchar[]"
        return f"json_extract_string(text, [{', '.join(_lit(_json_path(p)) for p in self.paths)}])"


def _value_sql(cmap: ColumnMap, f: _Fields) -> str:
    """The vendor's value before lookups: the first field with a value, or the fields joined."""
    fields = [f.sql(path) for path in cmap.fields]
    if cmap.join is not None:
        return f"nullif(concat_ws({_lit(cmap.join)}, {', '.join(fields)}), '')"
    return fields[0] if len(fields) == 1 else f"coalesce({', '.join(fields)})"


_NUMBER = "'^\\s*-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?\\s*$'"


def _convert_sql(cmap: ColumnMap, v: str) -> str:
    """The contract text of a (non-null) value `v`: what the contract check then reads as its type."""
    if cmap.convert == "timestamp":
        # epoch seconds or milliseconds (HubSpot, Intercom) become a time; ISO 8601 text passes as it is
        # (the contract check reads it, offset and all; one without an offset as UTC, as for native files)
        number = f"try_cast({v} as double)"
        epoch = f"to_timestamp(case when abs({number}) >= 1e11 then {number} / 1000 else {number} end)"
        return f"case when regexp_matches({v}, {_NUMBER}) then strftime({epoch}, '%Y-%m-%dT%H:%M:%S.%gZ') else {v} end"
    if cmap.convert == "boolean":
        t = f"lower(trim({v}))"
        return (
            f"case when {t} in ({', '.join(map(_lit, sorted(TRUE)))}) then 'true' "
            f"when {t} in ({', '.join(map(_lit, sorted(FALSE)))}) then 'false' else {v} end"
        )
    if cmap.convert == "integer":
        number = f"try_cast({v} as double)"
        return f"case when {number} = floor({number}) then cast(cast({number} as bigint) as varchar) else {v} end"
    if cmap.convert == "bands":
        number = f"try_cast({v} as double)"
        arms = " ".join(
            f"when {number} <= {upper} then {_lit(label)}" if upper is not None else f"else {_lit(label)}"
            for upper, label in cmap.bands
        )
        return f"case {arms} end" if cmap.bands[-1][0] is None else f"case {arms} else null end"
    return v


def _column_sql(cmap: ColumnMap, v: str) -> tuple[str, str | None]:
    """(the column's contract text, a problem with it or null) for the looked-up value `v`."""
    default = "null" if cmap.default is None else _lit(cmap.default)
    problems = []
    if cmap.values is not None:
        keys = ", ".join(_lit(k) for k in cmap.values)
        mapped = " ".join(f"when {_lit(k)} then {_lit(m)}" for k, m in cmap.values.items())
        unmapped = {
            "keep": _convert_sql(cmap, v),
            "otherwise": "null" if cmap.otherwise is None else _lit(cmap.otherwise),
            "error": "null",
        }[cmap.unmapped]
        expr = f"case when {v} is null then {default} when {v} in ({keys}) then (case {v} {mapped} end) else {unmapped} end"
        if cmap.unmapped == "error":
            known = ", ".join(repr(k) for k in cmap.values)
            problems.append(
                f"case when {v} is not null and {v} not in ({keys}) then "
                f"'value ' || {_quoted(v)} || ' is not one the profile knows ({known.replace(chr(39), chr(39) * 2)})' end"
            )
    else:
        expr = f"case when {v} is null then {default} else {_convert_sql(cmap, v)} end"
    if cmap.convert == "bands":
        problems.append(
            f"case when {v} is not null and try_cast({v} as double) is null then {_quoted(v)} || ' is not a number' end"
        )
    prefix = _lit(f"{cmap.describe('')}: ")
    problem = f"{prefix} || coalesce({', '.join(problems)})" if problems else None
    return expr, problem


def convert_values(cmap: ColumnMap, values: list[Any]) -> list[str | None]:
    """What the compiled mapping makes of each value of one column (for tests and `csw` users' checks)."""
    conn = duckdb.connect()
    try:
        conn.execute("set TimeZone = 'UTC'; create table v (i integer, x varchar)")
        conn.executemany(
            "insert into v values (?, ?)", [(i, None if x is None else _text(x)) for i, x in enumerate(values)]
        )
        expr, _ = _column_sql(cmap, "x")
        return [r[0] for r in conn.execute(f"select {expr} from v order by i").fetchall()]
    finally:
        conn.close()


def _quoted(v: str) -> str:
    """SQL text of `v` between single quotes, for a message."""
    quote = "''''"  # a SQL literal holding one single quote
    return f"{quote} || {v} || {quote}"


def mapping_sql(tmap: TableMap, obj: VendorObject, lookup_tables: Mapping[Lookup, str]) -> tuple[str, list[str]]:
    """SQL selecting, from `_vendor (text, _line, ok)`, every record the table takes: its contract columns as
    text, `_line`, `_record`, `_skip` (read past) and one `_problem_<column>` per column that can have one.
    Returns the SQL and the problem columns' contract names."""
    f = _Fields()
    where = " and ".join(f"{f.raw(path)} in ({', '.join(map(_lit, allowed))})" for path, allowed in tmap.where.items())
    joins, selects, problem_cols = [], [], []
    for i, cmap in enumerate(tmap.columns):
        v = _value_sql(cmap, f)
        step_field = cmap.fields[0]
        lookup_problems = []
        for j, lk in enumerate(cmap.lookup):
            alias = f"_lk{i}_{j}"
            joins.append(f"left join {lookup_tables[lk]} {alias} on {alias}.key = {v}")
            if tmap.table.column(cmap.column).required:
                lookup_problems.append(
                    f"case when {v} is not null and {alias}.key is null then "
                    f"{_lit(step_field + ' ')} || {_quoted(v)} || {_lit(f' has no {lk.name} record with {lk.key} = it')} end"
                )
            # an optional column: no such record is no value (a ticket without metrics yet)
            v, step_field = f"{alias}.value", f"{lk.name}.{lk.value}"
        expr, problem = _column_sql(cmap, v)
        selects.append(f'{expr} as "{cmap.column}"')
        every = ([f"coalesce({', '.join(lookup_problems)})"] if lookup_problems else []) + (
            [problem] if problem else []
        )
        if every:
            selects.append(f'coalesce({", ".join(every)}) as "_problem_{cmap.column}"')
            problem_cols.append(cmap.column)
    skip = " or ".join(f"{f.sql(path)} is null" for path in tmap.skip_without) or "false"
    label = (
        f"coalesce({_lit(obj.name + ' ' + obj.id_field + '=')} || {f.raw(obj.id_field)} || ': ', '')"
        if obj.id_field
        else "''"
    )
    sql = (
        f"select {', '.join(selects)}, _line, text as _record, ({skip}) as _skip, {label} as _label "
        f"from (select text, _line, {f.extract()} as _f from _vendor where ok) _v {' '.join(joins)}"
        f"{' where ' + where if where else ''}"
    )
    return sql, problem_cols


# -- a file as contract rows ------------------------------------------------------------------------


def _lookups(
    landing: Path, profile: Profile, tmap: TableMap, page: Mapping[str, Any], cache: dict[Lookup, dict[str, str]]
) -> dict[Lookup, dict[str, str]]:
    """Each lookup a column uses as key → value: a lookup-only object over every file of it (the latest
    version winning; read once per table's extract, `cache`), a sideloaded array over this page."""
    tables: dict[Lookup, dict[str, str]] = {}
    for lk in (step for cmap in tmap.columns for step in cmap.lookup):
        if lk in tables:
            continue
        if lk.kind == "object" and lk in cache:
            tables[lk] = cache[lk]
            continue
        if lk.kind == "records":
            tables[lk] = {
                _text(field_value(item, lk.key)): field_value(item, lk.value)
                for item in page.get(lk.name) or []
                if isinstance(item, dict) and not _empty(field_value(item, lk.key))
            }
        else:
            obj = profile.objects[lk.name]
            found: dict[str, tuple[str, Any]] = {}
            for path in export_files(landing, profile, obj):
                try:
                    records, _, _, _ = read_records(path, profile, obj)
                except ExportRejected:
                    continue  # an unreadable lookup file leaves its keys unknown: the rows that need them are named
                for rec in records:
                    key = field_value(rec.data, lk.key)
                    if _empty(key):
                        continue
                    version = _text(field_value(rec.data, obj.version)) if obj.version else ""
                    if _text(key) not in found or version >= found[_text(key)][0]:
                        found[_text(key)] = (version, field_value(rec.data, lk.value))
            tables[lk] = {k: v for k, (_, v) in found.items()}
        tables[lk] = {k: None if _empty(v) else _text(v) for k, v in tables[lk].items()}
        if lk.kind == "object":
            cache[lk] = tables[lk]
    return tables


def _vendor_rows(
    conn: duckdb.DuckDBPyConnection, path: Path, profile: Profile, obj: VendorObject
) -> tuple[list, set[str] | None, dict]:
    """Create `_vendor (text, _line, ok)`, one row per record; return (malformed (line, text), CSV header, page).

    JSON lines are read by DuckDB (gzipped or not); CSV (a few thousand CRM records) and API pages by Python.
    """
    conn.execute("drop table if exists _vendor")
    if profile.format == "jsonl":
        try:
            conn.execute(
                f"""create temp table _vendor as select column0 as text, row_number() over () as _line,
                    json_valid(column0) and regexp_matches(column0, '^\s*[{{]') as ok
                    from read_csv({_lit(str(path))}, columns = {{'column0': 'VARCHAR'}}, header = false,
                                  delim = '\x1f', quote = '', escape = '', strict_mode = false, auto_detect = false)"""
            )
        except duckdb.Error as e:
            raise ExportRejected(f"cannot be read as JSON lines: {e}") from e
        malformed = conn.execute(
            "select _line, text from _vendor where not ok and trim(text) <> '' order by 1"
        ).fetchall()
        return malformed, None, {}
    records, malformed, header, page = read_records(path, profile, obj)
    table = pa.table(
        {
            "text": pa.array([r.text for r in records], type=pa.string()),
            "_line": pa.array([r.line for r in records], type=pa.int64()),
        }
    )
    conn.register("_vendor_arrow", table)
    try:
        conn.execute("create temp table _vendor as select text, _line, true as ok from _vendor_arrow")
    finally:
        conn.unregister("_vendor_arrow")
    return malformed, header, page


def _check_header(header: set[str], profile: Profile, obj: VendorObject, tmap: TableMap) -> None:
    missing = []
    for cmap in tmap.columns:
        if cmap.optional or cmap.default is not None:
            continue
        tops = [f.split(".")[0] for f in cmap.fields]
        if not any(t in header for t in tops):
            missing.append(f"{' or '.join(tops)} (→ {cmap.column})")
    if missing:
        raise ExportRejected(
            f"the {profile.title} {obj.name} export lacks field(s) {', '.join(missing)}. If an admin renamed a "
            f"field, put its new API name in {profile.path.name} (objects.{obj.name}.tables.{tmap.table.raw_name}); "
            f"else add the field to the export. Fields found: {', '.join(sorted(header))}"
        )


@dataclass
class ProfileReader:
    """What `lib/extract.load_file` calls instead of reading a native file."""

    profile: Profile
    obj: VendorObject
    tmap: TableMap
    landing: Path
    labels: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    # lookup-only objects read once for all the files of one table's extract (shared by readers_for)
    cache: dict[Lookup, dict[str, str]] = field(default_factory=dict)

    @property
    def format(self) -> str:
        return self.profile.vendor

    def read(self, conn: duckdb.DuckDBPyConnection, path: Path, rel: str) -> list[tuple[int, str | None, str, str]]:
        """Create the temp view `_incoming` (contract columns as text, `_line`, `_record`); return the problems
        of the records left out: malformed ones, values outside an enumeration, failed lookups."""
        profile, obj, tmap = self.profile, self.obj, self.tmap
        malformed, header, page = _vendor_rows(conn, path, profile, obj)
        if header is not None:
            _check_header(header, profile, obj, tmap)
        lookup_tables: dict[Lookup, str] = {}
        for n, (lk, index) in enumerate(_lookups(self.landing, profile, tmap, page, self.cache).items()):
            name = f"_lookup_{n}"
            # through Arrow: executemany runs one statement per row (200 organizations x 24 ticket pages: 5 s at S)
            keys = pa.table(
                {"key": pa.array(list(index), pa.string()), "value": pa.array(list(index.values()), pa.string())}
            )
            conn.register("_lookup_arrow", keys)
            try:
                conn.execute(f"create or replace temp table {name} as select * from _lookup_arrow")
            finally:
                conn.unregister("_lookup_arrow")
            lookup_tables[lk] = name
        sql, problem_cols = mapping_sql(tmap, obj, lookup_tables)
        conn.execute(f"create or replace temp table _mapped as {sql}")
        for name in lookup_tables.values():
            conn.execute(f"drop table {name}")
        conn.execute("drop table _vendor")
        self.labels = {c.column: f"{c.column} ({profile.title} {c.describe(profile.vendor)})" for c in tmap.columns}
        issues = [(line, None, f"malformed {profile.format} record", text) for line, text in malformed]
        any_problem = " or ".join(f'"_problem_{c}" is not null' for c in problem_cols) or "false"
        for c in problem_cols:
            for line, label, reason, record in conn.execute(
                f'select _line, _label, "_problem_{c}", _record from _mapped where "_problem_{c}" is not null '
                "and not _skip order by _line"
            ).fetchall():
                issues.append((line, self.labels[c], f"{label}{reason}", record))
        issues.sort(key=lambda i: i[0])
        self.skipped = conn.execute("select count(*) from _mapped where _skip").fetchone()[0]
        columns = ", ".join(f'"{c.column}"' for c in tmap.columns)
        conn.execute(
            f"create temp view _incoming as select {columns}, _line, _record from _mapped "
            f"where not _skip and not ({any_problem})"
        )
        return issues


def readers_for(landing: Path, table: Table, directory: Path = PROFILE_DIR) -> Iterator[tuple[Path, ProfileReader]]:
    """Every vendor export file that feeds `table`, with the reader that turns it into contract rows."""
    for profile in profiles(directory):
        for obj, tmap in profile.tables_for(table.raw_name):
            cache: dict[Lookup, dict[str, str]] = {}
            for path in export_files(landing, profile, obj):
                yield path, ProfileReader(profile, obj, tmap, landing, cache=cache)
