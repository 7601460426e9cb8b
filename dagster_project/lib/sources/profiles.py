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

A field listed in `field` as a list means the first one with a value. Conversions: `timestamp` (ISO 8601
with or without milliseconds, or epoch seconds/milliseconds, to ISO 8601 UTC), `boolean` (true/false,
1/0, yes/no), `integer`, `bands` (a number to the label of the first band whose upper bound it does not
exceed). A value outside `values` is a row problem unless `unmapped: keep` passes it through. `lookup`
replaces the value by a field of another record: `records:` one of the same file (a sideloaded array),
`object:` one of the vendor's lookup-only objects (every file of it, latest `version` first).

What comes out is one contract-shaped row per record, with the record's line (CSV line, JSON line, or
position in the page) and the record itself kept for the quarantine. From there the file loader takes
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
from datetime import UTC, datetime
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
    lookup: Lookup | None = None

    def describe(self, vendor: str) -> str:
        """`properties.name`, or `organization_id → organizations.external_id`, for messages and docs."""
        text = (self.join or " or ").join(self.fields) if len(self.fields) > 1 else self.fields[0]
        if self.lookup:
            text += f" → {self.lookup.name}.{self.lookup.value}"
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
    lookup = None
    if "lookup" in spec:
        lk = spec["lookup"]
        kind = "records" if "records" in lk else "object" if "object" in lk else None
        if kind is None or "key" not in lk or "value" not in lk:
            raise _fail(path, where, "lookup needs `records:` or `object:`, `key:` and `value:`")
        lookup = Lookup(kind, lk[kind], lk["key"], lk["value"])
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
        lookup,
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
                if c.lookup and c.lookup.kind == "object" and c.lookup.name not in objects:
                    raise _fail(path, f"objects.{obj.name}", f"lookup object '{c.lookup.name}' is not in objects")
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


def to_timestamp(value: Any) -> str | None:
    """ISO 8601 UTC text, or None if it is not a time (the contract check then names the raw value)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        number = float(value)
        seconds = number / 1000 if abs(number) >= 1e11 else number  # epoch milliseconds (HubSpot, Segment)
        return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            if len(text) == 10:  # a date: midnight UTC
                moment = moment.replace(tzinfo=UTC)
            else:
                return None  # a time without an offset is ambiguous: named by the contract check
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class _Problem(Exception):
    pass


def convert(cmap: ColumnMap, value: Any) -> str | None:
    """One column's contract text from the vendor value (None for no value). Raises _Problem with the reason."""
    if _empty(value):
        return None if cmap.default is None else _text(cmap.default)
    if cmap.values is not None:
        key = _text(value)
        if key in cmap.values:
            mapped = cmap.values[key]
            return None if mapped is None else _text(mapped)
        if cmap.unmapped == "error":
            raise _Problem(f"value {key!r} is not one the profile knows ({', '.join(map(repr, cmap.values))})")
        if cmap.unmapped == "otherwise":
            return None if cmap.otherwise is None else _text(cmap.otherwise)
    if cmap.convert == "timestamp":
        converted = to_timestamp(value)
        return converted if converted is not None else _text(value)
    if cmap.convert == "boolean":
        text = _text(value).strip().lower()
        return "true" if text in TRUE else "false" if text in FALSE else _text(value)
    if cmap.convert == "integer":
        try:
            number = float(_text(value))
        except ValueError:
            return _text(value)
        return str(int(number)) if number.is_integer() else _text(value)
    if cmap.convert == "bands":
        try:
            number = float(_text(value))
        except ValueError:
            raise _Problem(f"{_text(value)!r} is not a number") from None
        for upper, label in cmap.bands:
            if upper is None or number <= upper:
                return label
    return _text(value)


# -- a file as contract rows ------------------------------------------------------------------------


@dataclass
class Converted:
    rows: pa.Table
    issues: list[tuple[int, str | None, str, str]]  # line, contract column, reason, record text
    skipped: int
    labels: dict[str, str]


def _object_lookups(landing: Path, profile: Profile, tmap: TableMap) -> dict[str, dict[str, Any]]:
    """For each lookup-only object a column uses: key → value, over every file of it, the latest version winning."""
    tables: dict[str, dict[str, Any]] = {}
    for cmap in tmap.columns:
        lk = cmap.lookup
        if lk is None or lk.kind != "object" or lk.name in tables:
            continue
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
        tables[lk.name] = {k: v for k, (_, v) in found.items()}
    return tables


def convert_file(path: Path, landing: Path, profile: Profile, obj: VendorObject, tmap: TableMap) -> Converted:
    """One vendor file as contract rows (all text, like a CSV) plus the problems of the rows left out."""
    records, malformed, header, page = read_records(path, profile, obj)
    vendor_title = profile.title
    if header is not None:
        missing = []
        for cmap in tmap.columns:
            if cmap.optional or cmap.default is not None:
                continue
            tops = [f.split(".")[0] for f in cmap.fields]
            if not any(t in header for t in tops):
                missing.append(f"{' or '.join(tops)} (→ {cmap.column})")
        if missing:
            raise ExportRejected(
                f"the {vendor_title} {obj.name} export lacks field(s) {', '.join(missing)}. If an admin renamed a "
                f"field, put its new API name in {profile.path.name} (objects.{obj.name}.tables.{tmap.table.raw_name}); "
                f"else add the field to the export. Fields found: {', '.join(sorted(header))}"
            )
    object_lookups = _object_lookups(landing, profile, tmap)
    record_lookups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for cmap in tmap.columns:
        lk = cmap.lookup
        if lk is not None and lk.kind == "records":
            index = {}
            for item in page.get(lk.name) or []:
                if isinstance(item, dict) and not _empty(field_value(item, lk.key)):
                    index[_text(field_value(item, lk.key))] = field_value(item, lk.value)
            record_lookups[(lk.name, lk.key, lk.value)] = index
    labels = {c.column: f"{c.column} ({profile.title} {c.describe(profile.vendor)})" for c in tmap.columns}
    issues = [(line, None, f"malformed {profile.format} record", text) for line, text in malformed]
    columns: dict[str, list[str | None]] = {c.column: [] for c in tmap.columns}
    lines: list[int] = []
    texts: list[str] = []
    skipped = 0
    for rec in records:
        if any(_text(field_value(rec.data, f)) not in allowed for f, allowed in tmap.where.items()):
            continue
        if any(_empty(field_value(rec.data, f)) for f in tmap.skip_without):
            skipped += 1
            continue
        row: dict[str, str | None] = {}
        problems = []
        for cmap in tmap.columns:
            values = [field_value(rec.data, f) for f in cmap.fields]
            if cmap.join is not None:
                present = [_text(v) for v in values if not _empty(v)]
                value: Any = cmap.join.join(present) if present else _MISSING
            else:
                value = next((v for v in values if not _empty(v)), _MISSING)
            if cmap.lookup is not None and not _empty(value):
                lk = cmap.lookup
                index = object_lookups[lk.name] if lk.kind == "object" else record_lookups[(lk.name, lk.key, lk.value)]
                if _text(value) in index:
                    value = index[_text(value)]
                elif tmap.table.column(cmap.column).required:
                    problems.append(
                        (cmap.column, f"{cmap.fields[0]} {_text(value)!r} has no {lk.name} record with {lk.key} = it")
                    )
                    continue
                else:  # an optional column: no such record is no value (a ticket without metrics yet)
                    value = _MISSING
            try:
                row[cmap.column] = convert(cmap, value)
            except _Problem as e:
                problems.append((cmap.column, f"{cmap.describe(profile.vendor)}: {e}"))
        where = _record_label(obj, rec)
        if problems:
            issues.extend((rec.line, labels[col], f"{where}{reason}", rec.text) for col, reason in problems)
            continue
        for col, value in row.items():
            columns[col].append(value)
        lines.append(rec.line)
        texts.append(rec.text)
    arrays = {col: pa.array(values, type=pa.string()) for col, values in columns.items()}
    arrays["_line"] = pa.array(lines, type=pa.int64())
    arrays["_record"] = pa.array(texts, type=pa.string())
    return Converted(pa.table(arrays), issues, skipped, labels)


def _record_label(obj: VendorObject, rec: Record) -> str:
    if obj.id_field is None:
        return ""
    ident = field_value(rec.data, obj.id_field)
    return "" if _empty(ident) else f"{obj.name} {obj.id_field}={_text(ident)}: "


@dataclass
class ProfileReader:
    """What `lib/extract.load_file` calls instead of reading a native file."""

    profile: Profile
    obj: VendorObject
    tmap: TableMap
    landing: Path
    labels: dict[str, str] = field(default_factory=dict)
    skipped: int = 0

    @property
    def format(self) -> str:
        return self.profile.vendor

    def read(self, conn: duckdb.DuckDBPyConnection, path: Path, rel: str) -> list[tuple[int, str | None, str, str]]:
        converted = convert_file(path, self.landing, self.profile, self.obj, self.tmap)
        self.labels = converted.labels
        self.skipped = converted.skipped
        conn.register("_profile_rows", converted.rows)
        conn.execute("create temp view _incoming as select * from _profile_rows")
        return converted.issues


def readers_for(landing: Path, table: Table, directory: Path = PROFILE_DIR) -> Iterator[tuple[Path, ProfileReader]]:
    """Every vendor export file that feeds `table`, with the reader that turns it into contract rows."""
    for profile in profiles(directory):
        for obj, tmap in profile.tables_for(table.raw_name):
            for path in export_files(landing, profile, obj):
                yield path, ProfileReader(profile, obj, tmap, landing)
