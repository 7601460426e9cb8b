"""Render `docs/sources.md` and the dbt source YAML from the contract.

`csw contract --write` rewrites them; `csw contract --check` (and a test) fails
when they are out of date, so the docs always describe what the extract enforces.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.contract import FORMATS, SOURCES, TABLES, Table
from dagster_project.settings import DBT_PROJECT_DIR, REPO_ROOT

HEADER = """# Sources: the input contract

<!-- Generated from dagster_project/contract.py by `csw contract --write`; do not edit by hand. -->

Each source system drops extracts into the landing folder (`$CSW_LANDING_DIR`, default `data/landing/`):

```
landing/<source>/<table>/<extract_date>/<any name>.{csv,jsonl,parquet}
```

- **Formats**: %s. CSV has a header row, comma-separated, `"`-quoted, UTF-8; an empty field is null.
  JSON lines has one object per line (`.jsonl`, `.ndjson` or `.json`); a missing key is null. Parquet columns may be typed or text.
- **Types**: `timestamp` is ISO-8601 and should carry an offset (`Z`, `+01:00`, `-0500`); one without an offset is read as UTC.
  Staging converts every timestamp to UTC. `integer` money columns are **minor units** (cents) in the row's `currency`.
  `boolean` accepts `true/false`, `t/f`, `1/0`.
- **Required** columns must be present in every file and non-empty in every row. Optional columns may be left out of a file entirely.
- **Updates** are expressed by sending the record again with a later `updated_at`: the latest version wins (ties: the later load wins).
  **Deletions** are soft: send the record with `is_deleted = true`. **Late rows** are fine: they may arrive in any later extract.
  **Duplicates** (the same version twice) are removed in staging.
- **What happens to bad input**: a file whose columns do not match (missing required column, unknown extra column) is copied to
  `$CSW_QUARANTINE_DIR/<source>/<table>/<extract_date>/` with a `.reason.txt` and loads nothing; a row with a malformed line, a
  missing required value or a value of the wrong type goes to `raw._quarantine_rows` with file, line, column and reason, and the
  file's other rows load. A file is loaded once: the load log (`raw._load_log`) records file, SHA-256, rows and time; dropping the same
  file again changes nothing.

"""


def render_sources_md() -> str:
    out = [HEADER % ", ".join(FORMATS)]
    for source, description in SOURCES.items():
        out.append(f"## `{source}`: {description}\n")
        for t in (t for t in TABLES if t.source == source):
            out.append(f"### `{source}/{t.name}` → `raw.{t.raw_name}`\n")
            out.append(f"{t.description} Key: `{', '.join(t.key)}`. Sample data format: {t.sample_format}.\n")
            out.append("| column | type | required | meaning | example |")
            out.append("|---|---|---|---|---|")
            for c in t.columns:
                meaning = c.meaning
                if c.name in t.accepted_values:
                    meaning += f" (one of: {', '.join(t.accepted_values[c.name])})"
                out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {meaning} | `{c.example}` |")
            out.append("")
    return "\n".join(out)


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dbt_sources(source: str) -> str:
    lines = [
        "# Generated from dagster_project/contract.py by `csw contract --write`; do not edit by hand.",
        "version: 2",
        "",
        "sources:",
        f"  - name: {source}",
        f"    description: {_yaml_str(SOURCES[source])}",
        "    schema: raw",
        "    config:",
        "      loaded_at_field: _loaded_at",
        "      freshness:",
        "        warn_after: {count: 36, period: hour}",
        "    tables:",
    ]
    for t in (t for t in TABLES if t.source == source):
        lines += _table_yaml(t)
    return "\n".join(lines) + "\n"


def _table_yaml(t: Table) -> list[str]:
    lines = [
        f"      - name: {t.name}",
        f"        identifier: {t.raw_name}",
        f"        description: {_yaml_str(t.description)}",
        "        columns:",
    ]
    for c in t.columns:
        lines.append(f"          - name: {c.name}")
        lines.append(f"            description: {_yaml_str(c.meaning)}")
        if c.required:
            lines.append("            data_tests: [not_null]")
    return lines


def generated_files() -> dict[Path, str]:
    files = {REPO_ROOT / "docs" / "sources.md": render_sources_md()}
    for source in SOURCES:
        files[DBT_PROJECT_DIR / "models" / "staging" / source / f"_{source}__sources.yml"] = render_dbt_sources(source)
    return files


def stale_files() -> list[Path]:
    return [p for p, text in generated_files().items() if not p.exists() or p.read_text() != text]


def write_files() -> list[Path]:
    written = []
    for path, text in generated_files().items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written
