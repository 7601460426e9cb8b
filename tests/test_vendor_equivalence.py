"""The sample as Salesforce + Segment + Zendesk exports (and as HubSpot) equals the native run.

"Equal" means: equal to a native run of the same sample with the vendors' ids and only what the vendors
carry (`csw generate --native-reference`: the losses each profile lists under `not_carried`, and
Zendesk's good/bad CSAT). The Salesforce + Segment + Zendesk sample runs the whole pipeline and
publishes marts equal row for row; HubSpot is compared where its profile acts, the raw tables row for row
(every version), which is all dbt reads: a mart-level run of it matched too (0 differences, once, by hand). Then bad vendor input in a later drop
reaches nothing published.

Twelve accounts over six months: every vendor object, every mapping and both lookups occur in it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import TABLES
from dagster_project.generator import GeneratorOptions, generate
from dagster_project.lib.extract import load_table
from dagster_project.lib.sources.profiles import profiles
from tests.helpers import CSW, REPO, pipeline_env, published_differences, run_csw, run_log
from tests.test_publish_resilience import published_run_ids

SMALL = GeneratorOptions(accounts=12, months=6)


def _run(landing: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = pipeline_env(data) | {"CSW_LANDING_DIR": str(landing)}
    return subprocess.run([CSW, "run"], env=env, cwd=REPO, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def saas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("saas")
    paths = {name: root / name for name in ("vendor", "reference")}
    generate(paths["vendor"], replace(SMALL, formats=("saas",)))
    generate(paths["reference"], replace(SMALL, formats=("saas",), native_reference=True))
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda name: _run(paths[name], root / f"data-{name}"), paths))
    for name, run in zip(paths, runs, strict=True):
        assert run.returncode == 0, f"{name}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return {"root": root, **paths, "data-vendor": root / "data-vendor", "data-reference": root / "data-reference"}


def test_salesforce_segment_zendesk_publish_the_native_marts(saas) -> None:
    vendor_db, reference_db = (saas[f"data-{n}"] / "published" / "marts.duckdb" for n in ("vendor", "reference"))
    assert published_differences(vendor_db, reference_db) == []
    # the vendor run read the vendors' files, not native ones
    conn = duckdb.connect(str(saas["data-vendor"] / "warehouse.duckdb"), read_only=True)
    try:
        formats = dict(
            conn.execute("select table_name, any_value(file_format) from raw._load_log group by 1").fetchall()
        )
        health = conn.execute("select count(*) from marts.account_health_weekly").fetchone()[0]
    finally:
        conn.close()
    assert formats["crm__accounts"] == formats["cs__emails"] == "salesforce"
    assert formats["product__events"] == formats["product__users"] == "segment"
    assert formats["support__tickets"] == "zendesk" and formats["billing__subscriptions"] == "csv"
    assert health > 0


def latest_versions(warehouse: Path, every_version: bool = False) -> dict[str, set[tuple] | list[tuple]]:
    """Each contract table as staging will see it: the latest version of every key, contract columns only
    (`every_version`: every row, sorted, for sources whose every version the vendor writes)."""
    conn = duckdb.connect(str(warehouse), read_only=True)
    out = {}
    try:
        for t in TABLES:
            cols = ", ".join(f'cast("{c}" as varchar)' for c in t.column_names)
            key = ", ".join(f'"{k}"' for k in t.key)
            order = f'order by "{t.version_column}" desc' if t.version_column else ""
            if every_version:
                out[t.raw_name] = sorted(conn.execute(f"select {cols} from raw.{t.raw_name}").fetchall(), key=repr)
                continue
            out[t.raw_name] = set(
                conn.execute(
                    f"select {cols} from (select *, row_number() over (partition by {key} {order}) as n "
                    f"from raw.{t.raw_name}) where n = 1"
                ).fetchall()
            )
    finally:
        conn.close()
    return out


def _extract(landing: Path, data: Path) -> Path:
    data.mkdir(parents=True)
    conn = duckdb.connect(str(data / "w.duckdb"))
    try:
        for t in TABLES:
            result = load_table(conn, t, landing, data / "quarantine")
            assert result.clean, [str(i) for i in result.issues[:5]]
    finally:
        conn.close()
    return data / "w.duckdb"


def test_hubspot_raw_tables_equal_the_native_reference(tmp_path: Path) -> None:
    vendor, reference = tmp_path / "hubspot", tmp_path / "reference"
    generate(vendor, replace(SMALL, formats=("hubspot",)))
    generate(reference, replace(SMALL, formats=("hubspot",), native_reference=True))
    assert (vendor / "hubspot" / "companies").is_dir() and not (vendor / "crm").exists()
    # HubSpot's writer writes every version of every record (nothing like Zendesk's one state per page), so
    # the raw tables must hold the same rows, history and duplicates included: what every model reads
    got, expected = (latest_versions(_extract(p, tmp_path / f"data-{p.name}"), True) for p in (vendor, reference))
    for name in expected:
        assert got[name] == expected[name], name
    assert all(expected[t] for t in ("crm__accounts", "crm__contacts", "crm__csms", "cs__meetings", "cs__emails"))


def test_every_not_carried_column_is_what_the_reference_leaves_out(saas) -> None:
    """What the profiles say the vendors lack is exactly what --native-reference blanks: a profile that
    starts to carry a column (or stops) must say so, and the reference follows."""
    reference = latest_versions(saas["data-reference"] / "warehouse.duckdb")
    vendors = {"salesforce", "segment", "zendesk"}
    for profile in profiles():
        if profile.vendor not in vendors:
            continue
        for obj in profile.objects.values():
            for tmap in obj.tables:
                columns = tmap.table.column_names
                for column in tmap.not_carried:
                    values = {row[columns.index(column)] for row in reference[tmap.table.raw_name]}
                    assert values == {None}, (profile.vendor, tmap.table.raw_name, column)


def test_bad_vendor_input_in_a_later_drop_reaches_nothing_published(saas, tmp_path: Path) -> None:
    """An unknown Segment event name is counted (a warning) and published; then a Salesforce export with a
    column an admin renamed stops the run at the contract check: nothing of that run is published, and
    `csw loads list --rejected` names the file and the field."""
    landing, data = tmp_path / "landing", tmp_path / "data"
    shutil.copytree(saas["vendor"], landing)
    shutil.copytree(saas["data-vendor"], data)
    env = pipeline_env(data) | {"CSW_LANDING_DIR": str(landing)}
    calls = [
        {
            "type": "track",
            "messageId": f"new-{i}",
            "userId": "USR-000003-0002",
            "event": "Logo Clicked",
            "timestamp": "2026-11-15T10:00:00.000Z",
            "context": {"groupId": "001000000000003AAA"},
        }
        for i in range(3)
    ]
    drop = landing / "segment" / "calls" / "2026-11-16" / "part-0000.jsonl"
    drop.parent.mkdir(parents=True)
    drop.write_text("".join(json.dumps(c) + "\n" for c in calls))
    first = run_csw(["run", "--as-of", "2026-11-16"], env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "1 warn" in first.stdout, first.stdout
    log = run_log(first.stdout)
    assert re.search(r"WARN 1 unknown_event_names", log), "the one unknown name, counted by the warning test"
    published = published_run_ids(data)

    exports = sorted((landing / "salesforce" / "Account").glob("*/part-0000.csv"))
    bad = landing / "salesforce" / "Account" / "2026-11-17" / "part-0000.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text(exports[0].read_text().replace('"Region__c"', '"Sales_Region__c"', 1))
    second = run_csw(["run", "--as-of", "2026-11-17"], env)
    assert second.returncode != 0
    assert published_run_ids(data) == published
    rejected = run_csw(["loads", "list", "--rejected"], env)
    assert "salesforce/Account/2026-11-17/part-0000.csv" in rejected.stdout
    assert "Region__c (→ region)" in rejected.stdout, rejected.stdout
