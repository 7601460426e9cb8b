"""Time the Stripe source: `python bench/stripe_sync.py --scale S|M` (`--help`).

At a scale's number of accounts it generates the sample, starts the project's localstripe
(`dagster_project/devtools/stripe_server.py`) on a free port, writes the sample's subscription histories
into it through the SDK (timed, but that is the writer's cost, not the connector's), then times on a fresh
warehouse:

- the first sync of `billing/subscriptions`, `invoices` and `payments` (everything read, history rebuilt);
- a second sync with nothing new in Stripe (the events list only; nothing loaded);
- an incremental sync after one day with one seat change (the events since the cursor name what to read).

Each sync's wall time is split into the server's CPU time (localstripe, sampled from its process) and the
rest (the SDK, the connector and DuckDB). Results: bench/results/stripe-<scale>-<date>.json and .md.
No test asserts a time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dagster_project.contract import TABLES  # noqa: E402
from dagster_project.generator import GeneratorOptions, generate  # noqa: E402
from dagster_project.generator.to_stripe import StripeWriter, sample_versions, write_sample_billing  # noqa: E402
from dagster_project.lib.sources.stripe import StripeConfig, iter_tables, sync_stripe_table  # noqa: E402

SCALES = {"S": 200, "M": 5_000}
AS_OF = date(2026, 11, 15)
KEY = "sk_test_cswbench000000000000000"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.devtools.stripe_server", "--port", str(port)],
        cwd=REPO,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the Stripe server did not start; see {log}")


def _cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def _sync(conn: duckdb.DuckDBPyConnection, config: StripeConfig, work: Path, server: psutil.Process) -> dict:
    wall, cpu, rows = time.perf_counter(), _cpu(server), {}
    for table in iter_tables(TABLES):  # one reader per table, as `csw run`'s three extract steps do
        result = sync_stripe_table(conn, table, config, work / "stripe", work / "quarantine")
        rows[table.name] = result.rows_loaded
    wall = time.perf_counter() - wall
    server_cpu = _cpu(server) - cpu
    return {"seconds": round(wall, 1), "server_cpu_seconds": round(server_cpu, 1), "rows_loaded": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="S", help="S = 200, M = 5,000 accounts")
    parser.add_argument("--months", type=int, default=24, help="months of history (default 24)")
    parser.add_argument("--work", type=Path, default=REPO / "data" / "bench-stripe", help="scratch folder")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where results are written")
    args = parser.parse_args(argv)

    accounts = SCALES[args.scale]
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    print(f"generating {accounts} accounts x {args.months} months", flush=True)
    generate(args.work / "landing", GeneratorOptions(accounts=accounts, months=args.months, as_of=AS_OF))
    versions = sample_versions(args.work / "landing")
    proc, url = _start_server(args.work / "stripe-server.log")
    server = psutil.Process(proc.pid)
    try:
        until = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)
        print(f"writing {len(versions)} subscription versions into localstripe", flush=True)
        start = time.perf_counter()
        writer = StripeWriter(KEY, url, datetime.fromisoformat(versions[0]["effective_at"].replace("Z", "+00:00")))
        subs = write_sample_billing(writer, versions, until)
        write_seconds = time.perf_counter() - start

        config = StripeConfig(KEY, url)
        conn = duckdb.connect(str(args.work / "warehouse.duckdb"))
        now = until
        print("first sync", flush=True)
        first = _sync(conn, config, args.work, server)
        print("second sync, nothing new", flush=True)
        unchanged = _sync(conn, config, args.work, server)
        # one day later, one subscription's seats change
        sub_id = sorted(subs.values())[0]
        sub = writer.client.v1.subscriptions.retrieve(sub_id)
        item = sub["items"]["data"][0]
        writer.advance(now + timedelta(days=1))
        writer.client.v1.subscriptions.update(
            sub_id, params={"items": [{"id": item["id"], "quantity": int(item["quantity"] or 1) + 1}]}
        )
        print("incremental sync after one change", flush=True)
        incremental = _sync(conn, config, args.work, server)
        conn.close()
    finally:
        proc.kill()

    result = {
        "scale": args.scale,
        "accounts": accounts,
        "months": args.months,
        "date": date.today().isoformat(),
        "subscriptions_written": len(subs),
        "subscription_versions": len(versions),
        "write_seconds": round(write_seconds, 1),
        "first_sync": first,
        "second_sync_nothing_new": unchanged,
        "incremental_one_change": incremental,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"stripe-{args.scale}-{result['date']}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Stripe sync, {args.scale} ({accounts} accounts x {args.months} months), {result['date']}",
        "",
        f"`python bench/stripe_sync.py --scale {args.scale}` against localstripe (devtools/stripe_server.py).",
        "",
        f"- sample written through the SDK: {len(subs)} subscriptions, {write_seconds:.0f} s (the writer's cost)",
        "",
        "| sync | wall s | of which localstripe CPU s | rows loaded |",
        "|---|---|---|---|",
    ]
    for name, r in (("first", first), ("second, nothing new", unchanged), ("after one change", incremental)):
        loaded = ", ".join(f"{k} {v}" for k, v in r["rows_loaded"].items())
        lines.append(f"| {name} | {r['seconds']} | {r['server_cpu_seconds']} | {loaded} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
