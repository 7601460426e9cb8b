"""Time the vendor profiles against native files: `python bench/vendor_extract.py --scale S|M` (`--help`).

At a scale's number of accounts (24 months) it writes the sample twice, natively and as Salesforce +
Segment + Zendesk exports (`csw generate --format saas`), timing each writer, then loads each into a
fresh warehouse table by table (`lib/extract.load_table`: the extract step without Dagster), timing each
table. The vendor side reads the same records through the profiles (`lib/sources/profiles.py`); the
difference is what the profiles cost. Results: bench/results/vendor-extract-<scale>-<date>.json and .md.
No test asserts a time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dagster_project.contract import TABLES  # noqa: E402
from dagster_project.generator import GeneratorOptions, generate  # noqa: E402
from dagster_project.lib.extract import load_table  # noqa: E402

SCALES = {"S": 200, "M": 5_000}


def extract(landing: Path, work: Path) -> dict[str, dict]:
    work.mkdir(parents=True)
    conn = duckdb.connect(str(work / "w.duckdb"))
    out = {}
    try:
        for table in TABLES:
            started = time.perf_counter()
            result = load_table(conn, table, landing, work / "quarantine")
            seconds = time.perf_counter() - started
            assert result.clean, [str(i) for i in result.issues[:5]]
            out[table.raw_name] = {
                "seconds": round(seconds, 2),
                "rows": result.rows_loaded,
                "files": result.files_loaded,
            }
    finally:
        conn.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="S", help="S = 200 accounts, M = 5,000 (default S)")
    parser.add_argument("--work", default=str(REPO / "bench" / "work" / "vendor"), help="scratch folder (emptied)")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    options = GeneratorOptions(accounts=SCALES[args.scale])
    results: dict[str, dict] = {}
    for name, opts in (("native", options), ("saas", replace(options, formats=("saas",)))):
        started = time.perf_counter()
        generate(work / name / "landing", opts)
        written = time.perf_counter() - started
        print(f"{name}: sample written in {written:.1f} s", flush=True)
        tables = extract(work / name / "landing", work / name / "data")
        total = sum(t["seconds"] for t in tables.values())
        print(f"{name}: extract {total:.1f} s", flush=True)
        results[name] = {"write_seconds": round(written, 1), "extract_seconds": round(total, 1), "tables": tables}
    today = date.today().isoformat()
    out = REPO / "bench" / "results" / f"vendor-extract-{args.scale}-{today}"
    out.with_suffix(".json").write_text(json.dumps({"scale": args.scale, "date": today, **results}, indent=2) + "\n")
    lines = [
        f"# Vendor profiles vs native files, {args.scale} ({SCALES[args.scale]:,} accounts x 24 months), {today}",
        "",
        "`python bench/vendor_extract.py --scale " + args.scale + "`: the extract of every table on a fresh warehouse, "
        "the sample written natively and as Salesforce + Segment + Zendesk exports (`--format saas`).",
        "",
        "| table | rows | native s | vendor s | read by |",
        "|---|---:|---:|---:|---|",
    ]
    vendor_tables = results["saas"]["tables"]
    for name, native in results["native"]["tables"].items():
        vendor = vendor_tables[name]
        read_by = (
            "profile"
            if name.split("__")[0] in ("crm", "cs", "product", "support")
            and name
            not in (
                "cs__trainings",
                "product__features",
            )
            else "native"
        )
        lines.append(f"| {name} | {vendor['rows']:,} | {native['seconds']:.2f} | {vendor['seconds']:.2f} | {read_by} |")
    lines += [
        f"| **all** | | **{results['native']['extract_seconds']:.1f}** | **{results['saas']['extract_seconds']:.1f}** | |",
        "",
        f"Writing the sample: native {results['native']['write_seconds']:.1f} s, vendor formats "
        f"{results['saas']['write_seconds']:.1f} s (the Segment calls as JSON, one by one in Python).",
        "",
    ]
    out.with_suffix(".md").write_text("\n".join(lines))
    print(out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
