"""Benchmark the whole pipeline at a scale: `make bench SCALE=S|M|L` (or `python bench/run.py --help`).

For each repeat, on a fresh warehouse over the same generated extracts, it times:
- the floor: DuckDB alone reading every raw file once into a table (no checks, no dbt);
- `csw run` end to end, split into stages from the run's Dagster event log
  (extract, raw checks, dbt build, mart checks, publish), with the peak RSS of the whole process tree;
- a one-day incremental run: the next day's extracts landed on top, then `csw run` again;
- a run with no new loads: `csw run` once more for the same day, which must say "Nothing new" and stop;
- the same one-day run in `csw watch` (a long-lived process that loaded the pipeline once), from the full
  run's state.
It reports medians and writes bench/results/<scale>-<date>.json and .md. No test asserts a time.

`--engine spark` runs the same on Spark in a local session, `--engine spark-cluster` on a Spark
standalone cluster started here for the benchmark (docs/scale-out.md); their results files are
<scale>-<engine>-<date>.*. The floor is DuckDB's in every case: the same yardstick.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from dagster_project.devtools import spark_cluster

REPO = Path(__file__).resolve().parent.parent
CSW = str(Path(sys.executable).with_name("csw"))
SCALES = {"S": 200, "M": 5_000, "L": 50_000}
# DuckDB's memory limit per connection ($CSW_DUCKDB_MEMORY_LIMIT), chosen for the targets' RSS budgets:
# 4 GiB for the whole process tree at M, 12 GiB at L (Python, dbt and GX take ~1.5 GiB of it).
MEMORY_LIMITS = {"S": "2GB", "M": "2GB", "L": "8GB"}
AS_OF = date(2026, 11, 15)
NEXT_DAY = AS_OF + timedelta(days=1)
STAGES = {
    "extract": "raw__",
    "raw checks": "raw_quality_checks",
    "dbt build": "warehouse_dbt_assets",
    "mart checks": "mart_quality_checks",
    "publish": "published__marts",
}


class PeakRss:
    """Samples the summed RSS of a process and all its descendants (and of `also`'s: a Spark cluster's JVMs)."""

    def __init__(self, pid: int, every: float = 0.2, also: tuple[int, ...] = ()) -> None:
        self.pids, self.every, self.peak = (pid, *also), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self.pids:
                try:
                    root = psutil.Process(pid)
                    total += sum(p.memory_info().rss for p in [root, *root.children(recursive=True)] if p.is_running())
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_measured(args: list[str], env: dict[str, str], also: tuple[int, ...] = ()) -> tuple[float, int, str]:
    """Run `args`; seconds, peak RSS (with the process trees of `also`: a cluster's JVMs) and output."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    rss = PeakRss(proc.pid, also=also)
    out, _ = proc.communicate()
    peak = rss.stop()
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed after {elapsed:.1f} s (peak RSS {peak / 2**20:.0f} MiB):\n{out[-4000:]}"
        )
    return elapsed, peak, out


def stage_times(dagster_home: Path, total: float) -> dict[str, float]:
    """Seconds per stage of the latest run, from its step events; the rest of `total` is start-up and other."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    starts, totals = {}, dict.fromkeys(STAGES, 0.0)
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            seconds = entry.timestamp - starts.get(event.step_key, entry.timestamp)
            for stage, prefix in STAGES.items():
                if event.step_key.startswith(prefix):
                    totals[stage] += seconds
    instance.dispose()
    totals["start-up and other"] = max(total - sum(totals.values()), 0.0)
    return totals


def floor_seconds(landing: Path, database: Path | None) -> float:
    """DuckDB alone: every landing file into a table, once, in `database` (a file) or in memory."""
    if database is not None:
        database.unlink(missing_ok=True)
    conn = duckdb.connect(str(database) if database else ":memory:")
    started = time.perf_counter()
    for table_dir in sorted(p for p in landing.glob("*/*") if p.is_dir()):
        name = f"{table_dir.parent.name}__{table_dir.name}"
        for ext, reader in (("csv", "read_csv"), ("jsonl", "read_ndjson"), ("parquet", "read_parquet")):
            if any(table_dir.glob(f"*/*.{ext}")):
                conn.execute(
                    f"create table {name} as select * from {reader}('{table_dir}/*/*.{ext}', union_by_name = true)"
                )
    conn.execute("checkpoint")
    elapsed = time.perf_counter() - started
    conn.close()
    if database is not None:
        database.unlink(missing_ok=True)
    return elapsed


def slowest_dbt_nodes(count: int = 8) -> list[dict]:
    """The dbt nodes that took longest in the latest invocation (from its run_results.json)."""
    runs = sorted((REPO / "dbt" / "target").glob("warehouse_dbt_assets-*/run_results.json"), key=os.path.getmtime)
    if not runs:
        return []
    results = json.loads(runs[-1].read_text())["results"]
    ranked = sorted(results, key=lambda r: -r["execution_time"])[:count]
    return [{"node": r["unique_id"], "seconds": round(r["execution_time"], 2)} for r in ranked]


def row_counts(warehouse: Path) -> dict[str, int]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = conn.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ('raw', 'staging', 'intermediate', 'marts') "
            "and not table_name like '\\_%' escape '\\' order by 1, 2"
        ).fetchall()
        return {f"{s}.{t}": conn.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}
    finally:
        conn.close()


def next_day_drop(folder: Path, accounts: int) -> Path:
    """The files the day after AS_OF adds (generated once per scale, then reused by every repeat)."""
    done = folder / "_generated"  # a drop has no manifest of its own (it adds to the data's)
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [CSW, "generate", "--accounts", str(accounts), "--as-of", NEXT_DAY.isoformat()]
            + ["--since", AS_OF.isoformat(), "--out", str(folder)],
            check=True,
            capture_output=True,
        )
        done.write_text(NEXT_DAY.isoformat() + "\n")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=SCALES, default="S", help="S = 200, M = 5,000, L = 50,000 accounts")
    parser.add_argument("--repeats", type=int, default=3, help="full runs to take the median of (default 3)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work", help="where data and warehouses go")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where results are written")
    parser.add_argument(
        "--no-incremental",
        action="store_true",
        help="skip the one-day incremental run (at L, generating the next day's drop alone takes ~15 min)",
    )
    parser.add_argument(
        "--no-memory-floor", action="store_true", help="skip the in-memory floor (at L the raw files do not fit)"
    )
    parser.add_argument(
        "--memory-limit",
        help="DuckDB memory limit per connection for the runs (default: "
        + ", ".join(f"{k} {v}" for k, v in MEMORY_LIMITS.items())
        + ")",
    )
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark", "spark-cluster"),
        default="duckdb",
        help="where dbt builds the models: DuckDB (default), Spark in a local session, or a local Spark cluster",
    )
    args = parser.parse_args()
    engine_env: dict[str, str] = {"CSW_ENGINE": "spark"} if args.engine == "spark" else {}
    cluster = None
    if args.engine == "spark-cluster":
        print("starting a Spark standalone cluster (master, 2 workers, Thrift server) ...", flush=True)
        cluster = spark_cluster.start(args.work / "spark-cluster")
        engine_env = cluster.env()
    try:
        return _bench(args, engine_env, cluster.pids if cluster else ())
    finally:
        if cluster is not None:
            spark_cluster.stop(cluster.folder)


# The daily-run targets per scale (issue 25): end to end over the floor, peak RSS, a one-day run and a run
# with no new loads as shares of a full run. None: no target at that scale.
TARGETS = {
    "M": {"over_floor": 4.0, "rss_gib": 4, "one_day": 0.15, "nothing_new": 0.03},
    "L": {"over_floor": 5.0, "rss_gib": 12, "one_day": 0.05, "nothing_new": None},
}


def targets(scale: str, summary: dict) -> list[dict]:
    """Each target of the scale, what was measured and whether it was met."""
    goal = TARGETS.get(scale)
    if not goal:
        return []
    found = [
        {
            "target": f"end to end <= {goal['over_floor']:g}x the floor",
            "measured": f"{summary['total_over_floor']:.1f}x",
            "met": summary["total_over_floor"] <= goal["over_floor"],
        },
        {
            "target": f"peak RSS <= {goal['rss_gib']} GiB",
            "measured": f"{summary['median_peak_rss_mib']:,.0f} MiB",
            "met": summary["median_peak_rss_mib"] <= goal["rss_gib"] * 1024,
        },
    ]
    if summary["incremental_over_full"] is not None:
        found.append(
            {
                "target": f"one-day run <= {goal['one_day']:.0%} of a full run",
                "measured": f"{summary['incremental_over_full']:.0%}",
                "met": summary["incremental_over_full"] <= goal["one_day"],
            }
        )
    if summary["watch_incremental_over_full"] is not None:
        found.append(
            {
                "target": f"one-day run in `csw watch` <= {goal['one_day']:.0%} of a full run",
                "measured": f"{summary['watch_incremental_over_full']:.0%}",
                "met": summary["watch_incremental_over_full"] <= goal["one_day"],
            }
        )
    if goal["nothing_new"] is not None:
        found.append(
            {
                "target": f"run with no new loads <= {goal['nothing_new']:.0%} of a full run",
                "measured": f"{summary['nothing_new_over_full']:.1%}",
                "met": summary["nothing_new_over_full"] <= goal["nothing_new"],
            }
        )
    return found


def _bench(args: argparse.Namespace, engine_env: dict[str, str], cluster_pids: tuple[int, ...]) -> int:
    memory_limit = args.memory_limit or MEMORY_LIMITS[args.scale]

    accounts = SCALES[args.scale]
    landing = args.work / args.scale / "landing"
    generated = None
    if not (landing / "_sample_manifest.json").exists():
        print(f"generating {accounts} accounts x 24 months into {landing} ...", flush=True)
        generated, gen_rss, _ = run_measured(
            [CSW, "generate", "--accounts", str(accounts), "--as-of", AS_OF.isoformat(), "--out", str(landing)],
            dict(os.environ),
        )
        print(f"  {generated:.1f} s, peak RSS {gen_rss / 2**20:.0f} MiB", flush=True)

    runs = []
    for i in range(args.repeats):
        # The same path for every repeat, as a daily run has: dbt re-parses the whole project when
        # the profile changes (the warehouse path is in it), which a scheduled run never pays.
        data = args.work / args.scale / "run"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        env = dict(
            os.environ,
            CSW_DATA_DIR=str(data),
            CSW_LANDING_DIR=str(data / "landing"),
            DAGSTER_HOME=str(data / "dagster_home"),
            CSW_LOG_LEVEL="WARNING",
            CSW_DUCKDB_MEMORY_LIMIT=memory_limit,
            **engine_env,
        )
        shutil.copytree(landing, data / "landing")
        floor = floor_seconds(landing, data / "floor.duckdb")
        floor_in_memory = None if args.no_memory_floor else floor_seconds(landing, None)
        print(
            f"[{args.scale} #{i + 1}] floor (DuckDB alone ingesting the files): {floor:.1f} s into a database file"
            + (f", {floor_in_memory:.1f} s in memory" if floor_in_memory is not None else ""),
            flush=True,
        )
        total, peak, _ = run_measured([CSW, "run", "--as-of", AS_OF.isoformat()], env, cluster_pids)
        stages = stage_times(data / "dagster_home", total)
        slowest = slowest_dbt_nodes()
        print(
            f"[{args.scale} #{i + 1}] full run: {total:.1f} s, peak RSS {peak / 2**20:.0f} MiB, "
            + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()),
            flush=True,
        )
        incremental, inc_peak, inc_stages, inc_slowest = None, 0, {}, []
        watch_load, watch_run = None, None
        snapshot = data.with_name("run-after-full")
        if not args.no_incremental:
            # the full run's state, for the same one-day run in a long-lived process (`csw watch`) below
            shutil.rmtree(snapshot, ignore_errors=True)
            shutil.copytree(data, snapshot)
            shutil.copytree(
                next_day_drop(args.work / args.scale / "next_day", accounts), data / "landing", dirs_exist_ok=True
            )
            incremental, inc_peak, _ = run_measured([CSW, "run", "--as-of", NEXT_DAY.isoformat()], env, cluster_pids)
            inc_stages = stage_times(data / "dagster_home", incremental)
            inc_slowest = slowest_dbt_nodes(12)
            print(
                f"[{args.scale} #{i + 1}] one-day incremental run: {incremental:.1f} s "
                + ", ".join(f"{k} {v:.1f} s" for k, v in inc_stages.items()),
                flush=True,
            )
        # the same run again: no new loads, same as-of date, nothing changed; it must say so and stop
        last_day = AS_OF if args.no_incremental else NEXT_DAY
        nothing_new, _, said = run_measured([CSW, "run", "--as-of", last_day.isoformat()], env, cluster_pids)
        if "Nothing new since version" not in said:
            raise SystemExit(f"the run with nothing new did not stop at once:\n{said[-3000:]}")
        print(f"[{args.scale} #{i + 1}] run with no new loads: {nothing_new:.2f} s", flush=True)
        if not args.no_incremental:
            # The one-day run again, from the full run's state at the same path (dbt re-parses on a new path), in
            # `csw watch`: the pipeline loaded once (as a long-lived process did before the day's files landed),
            # then one check that finds the day's files and runs.
            shutil.rmtree(data)
            snapshot.rename(data)
            shutil.copytree(
                next_day_drop(args.work / args.scale / "next_day", accounts), data / "landing", dirs_exist_ok=True
            )
            _, _, said = run_measured(
                [CSW, "watch", "--as-of", NEXT_DAY.isoformat(), "--checks", "1", "--every", "0"], env, cluster_pids
            )
            loaded = re.search(r"pipeline loaded once, in ([0-9.]+) s", said)
            ran = re.search(r"run done: ([0-9.]+) s from the check's start", said)
            if not (loaded and ran):
                raise SystemExit(f"csw watch did not run the day once:\n{said[-3000:]}")
            watch_load, watch_run = float(loaded.group(1)), float(ran.group(1))
            print(
                f"[{args.scale} #{i + 1}] one-day run in `csw watch`: {watch_run:.1f} s "
                f"(the pipeline loaded once before: {watch_load:.1f} s)",
                flush=True,
            )
        runs.append(
            {
                "floor_s": floor,
                "nothing_new_s": nothing_new,
                "floor_in_memory_s": floor_in_memory,
                "slowest_dbt_nodes_full_run": slowest,
                "total_s": total,
                "peak_rss_mib": peak / 2**20,
                "stages_s": stages,
                "incremental_s": incremental,
                "watch_incremental_s": watch_run,
                "watch_load_s": watch_load,
                "incremental_peak_rss_mib": inc_peak / 2**20,
                "incremental_stages_s": inc_stages,
                "slowest_dbt_nodes_incremental_run": inc_slowest,
            }
        )
        if i == args.repeats - 1:
            counts = row_counts(data / "warehouse.duckdb")
        shutil.rmtree(data / "landing")

    def med(key: str) -> float | None:
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if values else None

    summary = {
        "scale": args.scale,
        "engine": args.engine,
        "accounts": accounts,
        "repeats": args.repeats,
        "machine": f"{os.cpu_count()} cores",
        "duckdb_memory_limit": memory_limit,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generate_s": generated,
        "median_total_s": med("total_s"),
        "median_floor_s": med("floor_s"),
        "median_floor_in_memory_s": med("floor_in_memory_s"),
        "total_over_floor": med("total_s") / med("floor_s"),
        "median_peak_rss_mib": med("peak_rss_mib"),
        "median_stages_s": {s: statistics.median(r["stages_s"][s] for r in runs) for s in runs[0]["stages_s"]},
        "median_incremental_s": med("incremental_s"),
        "incremental_over_full": med("incremental_s") / med("total_s") if med("incremental_s") else None,
        "median_watch_incremental_s": med("watch_incremental_s"),
        "median_watch_load_s": med("watch_load_s"),
        "watch_incremental_over_full": (
            med("watch_incremental_s") / med("total_s") if med("watch_incremental_s") else None
        ),
        "median_nothing_new_s": med("nothing_new_s"),
        "nothing_new_over_full": med("nothing_new_s") / med("total_s"),
        "median_incremental_stages_s": {
            s: statistics.median(r["incremental_stages_s"][s] for r in runs) for s in runs[0]["incremental_stages_s"]
        },
        "runs": runs,
        "rows": counts,
    }
    summary["targets"] = targets(args.scale, summary)
    args.out.mkdir(parents=True, exist_ok=True)
    engine = "" if args.engine == "duckdb" else f"{args.engine}-"
    stem = args.out / f"{args.scale}-{engine}{date.today().isoformat()}"
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    md = [
        f"# Benchmark {args.scale} ({accounts:,} accounts, 24 months) on {args.engine}, {summary['measured_at']}, "
        f"{summary['machine']}",
        "",
        f"Medians of {args.repeats} runs; DuckDB memory limit {memory_limit} per connection.",
        "",
        "| measure | median |",
        "|---|---|",
        f"| end to end (`csw run`) | {summary['median_total_s']:.1f} s |",
        *[f"| - {s} | {v:.1f} s |" for s, v in summary["median_stages_s"].items()],
        f"| floor: DuckDB alone ingesting the same files into a database file | {summary['median_floor_s']:.1f} s |",
        *(
            [f"| (the same, in memory) | {summary['median_floor_in_memory_s']:.1f} s |"]
            if summary["median_floor_in_memory_s"] is not None
            else []
        ),
        f"| end to end / floor | {summary['total_over_floor']:.1f}x |",
        f"| peak RSS, whole process tree | {summary['median_peak_rss_mib']:.0f} MiB |",
        *(
            [
                f"| one-day incremental run | {summary['median_incremental_s']:.1f} s "
                f"({summary['incremental_over_full']:.0%} of full) |",
                *[f"| - {s} | {v:.1f} s |" for s, v in summary["median_incremental_stages_s"].items()],
                f"| the same one-day run in `csw watch` (one long-lived process) | "
                f"{summary['median_watch_incremental_s']:.1f} s ({summary['watch_incremental_over_full']:.0%} of "
                f"full; loading the pipeline, once: {summary['median_watch_load_s']:.1f} s) |",
            ]
            if summary["median_incremental_s"] is not None
            else ["| one-day incremental run | not measured (--no-incremental) |"]
        ),
        f"| run with no new loads (same as-of date) | {summary['median_nothing_new_s']:.2f} s "
        f"({summary['nothing_new_over_full']:.1%} of full) |",
        "",
        *(
            [
                "| target (issue 25) | measured | status |",
                "|---|---|---|",
                *[
                    f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**missed**'} |"
                    for t in summary["targets"]
                ],
                "",
            ]
            if summary["targets"]
            else []
        ),
        "Slowest dbt nodes of the last full run:",
        "",
        "| node | seconds |",
        "|---|---|",
        *[f"| {n['node']} | {n['seconds']:.1f} |" for n in runs[-1]["slowest_dbt_nodes_full_run"]],
        "",
        *(
            [
                "Slowest dbt nodes of the last one-day incremental run:",
                "",
                "| node | seconds |",
                "|---|---|",
                *[f"| {n['node']} | {n['seconds']:.1f} |" for n in runs[-1]["slowest_dbt_nodes_incremental_run"]],
                "",
            ]
            if runs[-1]["slowest_dbt_nodes_incremental_run"]
            else []
        ),
        "| table | rows |",
        "|---|---|",
        *[f"| {t} | {n:,} |" for t, n in counts.items()],
    ]
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md[: md.index("| table | rows |")]))
    print(f"\nwritten: {stem}.json, {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
