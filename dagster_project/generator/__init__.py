"""Synthetic sample data: a SaaS company's six source systems as landing-folder extracts."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from dagster_project.generator.landing import LandingWriter, add_months, month_start
from dagster_project.generator.simulate import AccountSimulator, emit_reference_data
from dagster_project.generator.to_vendors import VendorLandingWriter, parse_formats
from dagster_project.lib.run_context import SAMPLE_MANIFEST as MANIFEST


@dataclass(frozen=True)
class GeneratorOptions:
    accounts: int = 200
    months: int = 24
    seed: int = 42
    as_of: date = date(2026, 11, 15)
    # write only records that land on or after this date (an incremental drop), into `out` as it is
    since: date | None = None
    # vendor export formats (salesforce, hubspot, segment, zendesk, or saas for the first, third and fourth);
    # the sources none of them writes stay native
    formats: tuple[str, ...] = ()
    # write the native contract with the chosen vendors' ids and only what they carry (the reference run
    # the vendor equivalence test compares with)
    native_reference: bool = False


def generate(out: Path, options: GeneratorOptions, progress: bool | None = None) -> dict[str, int]:
    """Write the sample landing folder under `out` (replacing what is there). Returns rows per table."""
    if options.accounts < 1 or options.months < 1:
        raise ValueError("--accounts and --months must be at least 1")
    if options.since is None and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    window_start = add_months(month_start(options.as_of), -(options.months - 1))
    formats = parse_formats(options.formats)
    writer = (
        VendorLandingWriter(out, window_start, options.as_of, options.since, formats, options.native_reference)
        if formats
        else LandingWriter(out, window_start, options.as_of, options.since)
    )
    csm_ids = emit_reference_data(writer, max(4, options.accounts // 35), window_start)
    if progress is None:
        progress = options.accounts >= 1000 and sys.stderr.isatty()
    indices = range(options.accounts)
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc="accounts", unit="acct", file=sys.stderr)
    # Simulate to the end of the as-of month whatever the as-of day, and let the writer drop what has
    # not landed yet: so the data of 15 Nov and of 16 Nov agree on everything up to 15 Nov, and
    # `--since` drops add exactly the new days (only within one month).
    horizon = add_months(month_start(options.as_of), 1)
    for i in indices:
        AccountSimulator(i, options.seed, window_start, horizon, csm_ids, writer).run()
    writer.close()
    manifest = {
        **asdict(options),
        "as_of": options.as_of.isoformat(),
        "since": options.since.isoformat() if options.since else None,
        "formats": formats,
        "rows": dict(sorted(writer.rows_written.items())),
    }
    if options.since is None:  # an incremental drop keeps the manifest of the data it adds to
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest["rows"]
