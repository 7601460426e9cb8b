"""Measure the PostgreSQL source: rows per second of a first extract, and the cost of a second, empty one.

    .venv/bin/python bench/postgres_extract.py --accounts 5000     # M scale

Generates the sample at the given scale, moves the bound tables (accounts, subscriptions, users) into
a throw-away PostgreSQL server, then extracts each into a fresh DuckDB warehouse twice with the
pipeline's own code (`lib/postgres.load_postgres_table`) and prints a table.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from dagster_project.devtools.pg_server import OWNER, READER, start, stop
from dagster_project.generator import GeneratorOptions, generate
from dagster_project.generator.to_postgres import load_into_postgres
from dagster_project.lib.postgres import load_bindings, load_postgres_table
from dagster_project.lib.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--batch-rows", type=int, default=Settings.from_env({}).pg_batch_rows)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="csw-pg-bench-"))
    server_dir = Path(tempfile.mkdtemp(prefix="csw-pg-server-"))  # its own folder: the server user must enter it
    server = start(server_dir)
    try:
        started = time.perf_counter()
        generate(work / "landing", GeneratorOptions(accounts=args.accounts))
        bindings = load_bindings(Settings.from_env({}).pg_bindings_path)
        counts = load_into_postgres(work / "landing", server.url(OWNER), bindings, READER)
        print(f"sample of {args.accounts} accounts generated and moved in {time.perf_counter() - started:.1f} s")
        conn = duckdb.connect(str(work / "warehouse.duckdb"))
        print("| table | rows | first extract (s) | rows/s | second, empty extract (s) |\n|---|---|---|---|---|")
        for name, binding in bindings.items():
            times = []
            for _ in range(2):
                t0 = time.perf_counter()
                result = load_postgres_table(
                    conn,
                    binding,
                    server.url(READER),
                    work / "postgres",
                    work / "quarantine",
                    args.batch_rows,
                    timedelta(minutes=10),
                )
                times.append((time.perf_counter() - t0, result.rows_loaded))
            (first, rows), (second, again) = times
            assert rows == counts[name] and again == 0, (name, rows, counts[name], again)
            print(f"| {name} | {rows:,} | {first:.2f} | {rows / first:,.0f} | {second:.2f} |")
        conn.close()
    finally:
        stop(server_dir)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(server_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
