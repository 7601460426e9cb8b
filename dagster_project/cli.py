"""`csw`: the warehouse's command line. Every command has --help."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from dagster_project.lib.settings import REPO_ROOT, SAMPLE_AS_OF, Settings, SettingsError


def _ensure_dagster_home(settings: Settings) -> Path:
    """Dagster's instance folder, with our `dagster.yaml` on first use; Dagster finds it by $DAGSTER_HOME."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copy(Path(__file__).with_name("dagster.yaml"), config)
    os.environ["DAGSTER_HOME"] = str(home)  # at run time, for the in-process Dagster instance
    return home


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.generator import GeneratorOptions, generate

    out = Path(args.out) if args.out else settings.landing_dir
    from dagster_project.generator.to_vendors import parse_formats

    try:
        formats = parse_formats(args.format)
    except ValueError as e:
        print(f"csw generate: --format: {e}", file=sys.stderr)
        return 2
    options = GeneratorOptions(
        accounts=args.accounts,
        months=args.months,
        seed=args.seed,
        as_of=args.as_of,
        since=args.since,
        formats=tuple(args.format or ()),
        native_reference=args.native_reference,
    )
    started = time.perf_counter()
    rows = generate(out, options, progress=None if not args.progress else True)
    print(
        f"Generated {options.accounts} accounts x {options.months} months (seed {options.seed}, as of {options.as_of}) "
        f"into {out} in {time.perf_counter() - started:.1f} s"
    )
    if formats:
        written = ", ".join(f"{source} as {vendor}" for source, vendor in sorted(formats.items()))
        print(f"  {'native, as carried by' if args.native_reference else 'vendor formats:'} {written}")
    for table, n in rows.items():
        print(f"  {table:<26} {n:>12,} rows")
    if args.to_postgres:
        from dagster_project.generator.to_postgres import load_into_postgres
        from dagster_project.lib.postgres import load_bindings, redact

        bindings = load_bindings(settings.pg_bindings_path)
        counts = load_into_postgres(out, args.to_postgres, bindings, args.pg_reader or None)
        print(f"Moved into PostgreSQL {redact(args.to_postgres)} (bindings: {settings.pg_bindings_path}):")
        for name, binding in bindings.items():
            print(f"  {name:<26} -> {binding.schema}.{binding.relation:<22} {counts.get(name, 0):>9,} records")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    _ensure_dagster_home(settings)
    from dagster_project.lib.extract import landing_files
    from dagster_project.runner import run

    if args.sample_if_empty and not landing_files(settings.landing_dir):
        from dagster_project.generator import GeneratorOptions, generate

        print(f"No extracts in {settings.landing_dir}: generating the built-in sample data (as of {SAMPLE_AS_OF}) ...")
        started = time.perf_counter()
        generate(settings.landing_dir, GeneratorOptions(as_of=date.fromisoformat(SAMPLE_AS_OF)))
        print(f"  done in {time.perf_counter() - started:.1f} s")
    return run(settings, as_of=args.as_of, full_refresh=args.full_refresh, verbose=args.verbose, force=args.force)


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    _ensure_dagster_home(settings)
    from dagster_project.watch import watch

    return watch(settings, every=args.every, as_of=args.as_of, checks=args.checks, verbose=args.verbose)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.lib.publish import current_log, list_versions

    print(f"landing:    {settings.landing_dir}")
    print(f"warehouse:  {settings.warehouse_path}{'' if settings.warehouse_path.exists() else ' (not built yet)'}")
    print(f"published:  {settings.publish_dir / 'marts.duckdb'}")
    log = current_log(settings.publish_dir)
    if not log:
        print("nothing published yet")
        _print_load_status(settings)
        return 0
    last = log[-1]
    counts = json.loads(last["mart_row_counts"])
    print(
        f"current version: {last['version_id']} (run {last['run_id']}), as of {last['as_of_date']}, "
        f"published {last['published_at']:%Y-%m-%d %H:%M:%S} UTC; checks passed {last['checks_passed']}/{last['checks_run']}"
        # publications before the engine was recorded were all built on DuckDB
        f"; built on {last.get('engine') or 'duckdb'}"
    )
    for mart, n in counts.items():
        print(f"  {mart:<32} {n:>10,} rows")
    versions = list_versions(settings.publish_dir)
    print(f"kept versions ({len(versions)}, newest last): " + ", ".join(versions))
    _print_load_status(settings)
    return 0


def _print_load_status(settings: Settings) -> None:
    """Loads awaiting a decision and the decisions people took: the gate's state."""
    from dagster_project.lib.loads import decisions, list_loads

    if not settings.warehouse_path.exists():
        return
    conn = _warehouse(settings, read_only=True)
    try:
        rejected = list_loads(conn, rejected_only=True)
        taken = decisions(conn)
    finally:
        conn.close()
    if rejected:
        print(f"REJECTED loads awaiting a decision ({len(rejected)}): every run stops until each is decided")
        for load in rejected:
            print(f"  {load.load_id}  {load.file_path}  [{load.failed_checks}]")
        print("  see `csw loads list --rejected`; decide with `csw loads reject|accept <load_id> --reason '...'`")
    else:
        print("no rejected loads awaiting a decision")
    for d in taken[-10:]:
        print(
            f"decision: {d['decision']} {d['load_id']} ({d['file_path']}) by {d['decided_by']} "
            f"at {d['decided_at']:%Y-%m-%d %H:%M} UTC: {d['reason']}"
        )


def _warehouse(settings: Settings, read_only: bool):  # noqa: ANN202 (a DuckDB connection; duckdb imported late)
    """The build file, or a clear error if it does not exist or a running pipeline holds it."""
    import duckdb

    if not settings.warehouse_path.exists():
        raise SystemExit(f"no warehouse at {settings.warehouse_path} yet: run `csw run` first")
    try:
        return duckdb.connect(str(settings.warehouse_path), read_only=read_only, config=settings.duckdb_config())
    except duckdb.IOException as e:
        raise SystemExit(
            f"cannot open {settings.warehouse_path}: another process holds it (a pipeline run?); "
            f"try again when it has finished.\n  ({str(e).splitlines()[0]})"
        ) from None


def cmd_loads_list(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.lib.loads import list_loads

    conn = _warehouse(settings, read_only=True)
    try:
        loads = list_loads(conn, rejected_only=args.rejected, limit=None if args.all or args.rejected else args.limit)
    finally:
        conn.close()
    if not loads:
        print("no rejected loads: nothing awaits a decision" if args.rejected else "no loads yet")
        return 0
    print(f"{'load_id':<24} {'verdict':<9} {'rows':>9} {'quarantined':>11}  file / failed checks")
    for load in loads:
        print(
            f"{load.load_id:<24} {load.verdict:<9} {load.rows_loaded:>9,} {load.rows_quarantined or 0:>11,}  "
            f"{load.file_path}" + (f"  [{load.failed_checks}]" if load.failed_checks else "")
        )
        if args.rejected and load.failure_detail:
            print("\n".join(f"    {line}" for line in load.failure_detail.splitlines()))
    return 0


def cmd_loads_decide(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from dagster_project.lib.loads import DecisionError, decide, ensure_load_tables
    from dagster_project.lib.publish import published_through

    by = args.by or getpass.getuser()
    through = published_through(settings.publish_dir)
    conn = _warehouse(settings, read_only=False)
    try:
        ensure_load_tables(conn)
        previous = conn.execute("select verdict from raw._load_log where load_id = ?", [args.load_id]).fetchone()
        load = decide(conn, args.load_id, args.decision, by, args.reason, published_through=through)
    except DecisionError as e:
        print(f"csw loads {args.decision}: {e}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if load.verdict == "retired" and previous and previous[0] == "accepted":
        print(
            f"{load.label} retired for good. It had been accepted and no publication had read it: its rows leave "
            f"staging, and the next run rebuilds incremental models in full. Recorded: {by}, {args.reason!r}."
        )
        return 0
    what = {
        "retired": "retired for good: its rows will never reach a model; it no longer blocks runs",
        "accepted": "accepted: its rows reach staging on the next run (recorded in _publish_log)",
        "pending": "accepted over the contract check: its rows that loaded go through the raw suite on the next run",
    }[load.verdict]
    print(f"{load.label} {what}. Recorded: {by}, {args.reason!r}.")
    return 0


def cmd_score(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from dagster_project.lib import score_guard
    from dagster_project.lib.publish import PUBLISHED_FILE, current_log

    if not settings.manifest_path.exists():
        print(f"csw score: no dbt manifest at {settings.manifest_path}: run `csw run` first", file=sys.stderr)
        return 1
    current = score_guard.definition(settings.manifest_path)
    log = current_log(settings.publish_dir)
    published = log[-1].get("score_definition") if log else None
    figures = score_guard.published_figures(settings.publish_dir / PUBLISHED_FILE)
    if args.score_command == "show":
        conn = _warehouse(settings, read_only=True)
        try:
            built = score_guard.figures(conn, f"marts.{score_guard.BACKTEST}")
            decisions = score_guard.accepted(conn, current)
        finally:
            conn.close()
        print(f"score definition: built {current}, published {published or '-'}")
        if figures:
            print(f"published: pooled AUC {figures.auc}, churn-risk alert precision {figures.precision}")
        print(f"built:     pooled AUC {built.auc}, churn-risk alert precision {built.precision}")
        for d in decisions:
            print(f"accepted by {d['decided_by']} at {d['decided_at']:%Y-%m-%d %H:%M}: {d['reason']}")
        return 0
    conn = _warehouse(settings, read_only=False)
    try:
        row = score_guard.accept(conn, current, figures, args.by or getpass.getuser(), args.reason)
    except ValueError as e:
        print(f"csw score accept: {e}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    print(
        f"score definition {current} accepted (published {published or '-'}): pooled AUC "
        f"{row['published_auc']} -> {row['accepted_auc']}, alert precision {row['published_precision']} -> "
        f"{row['accepted_precision']}. Recorded: {row['decided_by']}, {args.reason!r}; the next run publishes it."
    )
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.lib.publish import rollback

    try:
        version = rollback(settings.publish_dir)
    except RuntimeError as e:
        print(f"rollback failed: {e}", file=sys.stderr)
        return 1
    print(f"rolled back: {settings.publish_dir / 'marts.duckdb'} is now version {version}")
    return 0


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.lib.lake import rebuild_raw

    try:
        rebuilt = rebuild_raw(settings.warehouse_path, settings.lake_dir, settings.duckdb_config())
    except RuntimeError as e:
        print(f"csw rebuild: {e}", file=sys.stderr)
        return 1
    print(f"rebuilt {settings.warehouse_path} from {settings.lake_dir}: {rebuilt.summary()}.")
    print("Next: `csw run` builds the models and marts from it.")
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from dagster_project.lib.erase import EraseError, erase
    from dagster_project.lib.lake import write_ledger

    folders = [
        settings.data_dir,
        settings.quarantine_dir,
        settings.lake_dir,
        settings.publish_dir,
        settings.dagster_home,
    ]
    try:
        result = erase(
            settings.warehouse_path,
            settings.landing_dir,
            folders,
            email=args.email,
            contact_id=args.contact_id,
            user_id=args.user_id,
            reason=args.reason,
            by=args.by or getpass.getuser(),
            progress=lambda message: print(f"csw erase: {message}"),
        )
    except EraseError as e:
        print(f"csw erase: {e}", file=sys.stderr)
        return 1
    if (settings.lake_dir / "raw").exists():
        write_ledger(settings.warehouse_path, settings.lake_dir, settings.duckdb_config())
    print(f"csw erase: {result.summary()}. Recorded in raw._erasures (without the personal data).")
    print("Next: `csw run` builds every model again from the scrubbed raw layer (a full build, once).")
    return 0


def cmd_dbt(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess

    from dagster_project.lib.dbt_project import AS_OF_ENV, DBT_EXECUTABLE
    from dagster_project.lib.run_context import resolve_as_of

    dbt_args = list(args.dbt_args)
    if dbt_args[:1] == ["--"]:
        dbt_args = dbt_args[1:]
    if not dbt_args:
        print("csw dbt: give dbt's arguments, e.g. `csw dbt build --select account_health_weekly+`", file=sys.stderr)
        return 2
    as_of = args.as_of or resolve_as_of(None, settings)
    env = {
        **os.environ,
        **settings.dbt_env(),
        AS_OF_ENV: as_of.isoformat(),
        "DBT_PROFILES_DIR": str(settings.dbt_project_dir),
    }
    # dbt writes its manifest in place, not whole: in the shared target/ a run starting meanwhile read a
    # half-written manifest.json and failed (a test worker's `csw dbt source freshness` beside another's run)
    env.setdefault("DBT_TARGET_PATH", str(settings.dbt_project_dir / "target" / "by-hand"))
    print(f"csw dbt: dbt {' '.join(dbt_args)} on {settings.warehouse_path} as of {as_of}", file=sys.stderr)
    return subprocess.run([str(DBT_EXECUTABLE), *dbt_args], cwd=settings.dbt_project_dir, env=env).returncode


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    import csv

    from dagster_project.lib.dbt_project import ensure_manifest
    from dagster_project.lib.metrics import MetricsError, SemanticLayer

    ensure_manifest(settings)
    try:
        with SemanticLayer(settings.publish_dir / "marts.duckdb", settings.dbt_project_dir) as layer:
            if args.metrics_command == "validate":
                errors = layer.validate()
                for e in errors:
                    print(f"csw metrics: {e}", file=sys.stderr)
                print(
                    f"semantic layer: {len(layer.metrics())} metrics, "
                    + (f"{len(errors)} error(s)" if errors else "valid on the published marts")
                )
                return 1 if errors else 0
            if args.metrics_command == "list":
                for m in layer.metrics():
                    print(f"{m.name:<32} {m.label}")
                    if args.verbose:
                        print(f"    {m.description}")
                        print(f"    dimensions: {', '.join(m.dimensions)}")
                return 0
            metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
            group_by = [g.strip() for g in (args.group_by or "").split(",") if g.strip()]
            order_by = [o.strip() for o in (args.order_by or "").split(",") if o.strip()]
            if args.explain:
                print(layer.published_sql(metrics, group_by, args.where, order_by, args.limit))
                return 0
            columns, rows = layer.query(metrics, group_by, args.where, order_by, args.limit)
    except MetricsError as e:
        print(f"csw metrics: {e}", file=sys.stderr)
        return 2
    if args.csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(columns)
        out.writerows(rows)
        return 0
    text = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in text)]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in text:
        print("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths, strict=True)))
    return 0


def _cell(value: object) -> str:
    import datetime

    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()


def cmd_contract(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.lib.contract_docs import stale_files, write_files

    if args.write:
        for p in write_files():
            print(f"wrote {p}")
        return 0
    stale = stale_files()
    for p in stale:
        print(f"out of date: {p} (run `csw contract --write`)", file=sys.stderr)
    return 1 if stale else 0


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in YYYY-MM-DD form") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csw",
        description="Customer-success analytics warehouse: generate sample data, run the pipeline, publish marts.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser(
        "generate",
        help="write synthetic source extracts into the landing folder",
        description="Write a deterministic synthetic SaaS company (six source systems) as landing-folder extracts.",
    )
    g.add_argument("--accounts", type=int, default=200, help="number of customer accounts (default 200)")
    g.add_argument("--months", type=int, default=24, help="months of history up to the as-of date (default 24)")
    g.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same bytes (default 42)")
    g.add_argument(
        "--as-of",
        type=_date,
        default=date.fromisoformat(SAMPLE_AS_OF),
        help=f"last day of data, YYYY-MM-DD (default {SAMPLE_AS_OF})",
    )
    g.add_argument("--out", help="landing folder to (re)write (default $CSW_LANDING_DIR, i.e. data/landing)")
    g.add_argument(
        "--since",
        type=_date,
        default=None,
        help="only add what landed on or after this date (an incremental drop; keeps the folder's other files)",
    )
    g.add_argument(
        "--progress", action="store_true", help="show a progress bar (default: on for >= 1000 accounts on a terminal)"
    )
    g.add_argument(
        "--format",
        action="append",
        metavar="FORMAT",
        help="write sources in a vendor's export format: salesforce or hubspot (CRM and CS activities), segment "
        "(product), zendesk (support); saas = salesforce,segment,zendesk; native (the default) for the rest. "
        "Repeat or separate with commas. The vendor's ids replace the sample's in every source (docs/sources.md)",
    )
    g.add_argument(
        "--native-reference",
        action="store_true",
        help="with --format: write the native contract instead, with the vendors' ids and only what they carry "
        "(what a run on the vendor files must equal)",
    )
    g.add_argument(
        "--to-postgres",
        metavar="URL",
        help="then move the tables bound in postgres_bindings.yml into this PostgreSQL database (one row per record, "
        "as an application keeps them) and out of the landing folder; the URL's role must be able to create tables",
    )
    g.add_argument(
        "--pg-reader",
        metavar="ROLE",
        default="csw_reader",
        help="with --to-postgres: the role the warehouse reads with, granted SELECT only (default csw_reader; '' for none)",
    )
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser(
        "run",
        help="run the whole pipeline once (extract, dbt build + tests, publish)",
        description="Run the warehouse job in this process: extracts, dbt build with tests, publish.",
    )
    r.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="the run's logical date (default $CSW_AS_OF, else the sample data's date when the landing folder holds "
        "the sample, else today in UTC)",
    )
    r.add_argument(
        "--verbose", action="store_true", help="stream Dagster's and dbt's logs here instead of into data/logs/"
    )
    r.add_argument(
        "--sample-if-empty",
        action="store_true",
        help=f"generate the built-in sample data first if the landing folder is empty (as of {SAMPLE_AS_OF})",
    )
    r.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models (events, first use, weekly seen, activity and usage, the health "
        "score) from scratch; a run does it by itself once after the project (models, macros, seeds, code) changed",
    )
    r.add_argument(
        "--force",
        action="store_true",
        help="run even when nothing is new since the current publication (same as-of date, no unread landing "
        "file, the same loads, decisions and project): without it such a run says so and does nothing",
    )
    r.set_defaults(func=cmd_run)

    w = sub.add_parser(
        "watch",
        help="stay up and run the pipeline whenever something is new (one process: no start-up per run)",
        description="Load the pipeline once, then check every --every seconds: when a landing file is new, a load "
        "was decided, the project or the as-of date changed, run it exactly as `csw run` does; when nothing is "
        "new, do nothing. After a failed run, wait for a new or corrected file or a decision instead of failing "
        "again. A changed project restarts the process. Ctrl-C or SIGTERM stops it (a run in progress finishes "
        "first; a second stop interrupts it).",
    )
    w.add_argument("--every", type=float, default=60.0, help="seconds between checks (default 60)")
    w.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="a fixed logical date (default: worked out at each check as `csw run` does, so it moves at midnight UTC)",
    )
    w.add_argument("--checks", type=int, default=None, help="stop after this many checks (default: until stopped)")
    w.add_argument(
        "--verbose", action="store_true", help="stream Dagster's and dbt's logs here instead of into data/logs/"
    )
    w.set_defaults(func=cmd_watch)

    c = sub.add_parser(
        "contract",
        help="check or rewrite docs/sources.md and the dbt source YAML from the contract",
        description="The input contract lives in dagster_project/contract.py; docs and dbt sources are generated.",
    )
    c.add_argument("--write", action="store_true", help="rewrite the generated files (default: only check them)")
    c.set_defaults(func=cmd_contract)

    s = sub.add_parser(
        "status",
        help="show what is published, from which run, and the kept versions",
        description="Show the published version, its run, as-of date, row counts and kept versions.",
    )
    s.set_defaults(func=cmd_status)

    ld = sub.add_parser(
        "loads",
        help="list loads and their verdicts; accept or retire a rejected load",
        description="Each landing file is a load, accepted or rejected by the blocking raw checks. A rejected load "
        "stops every run until a person decides: retire it (`reject`, after sending a corrected file) or accept it.",
    )
    loads_sub = ld.add_subparsers(dest="loads_command", required=True)
    ll = loads_sub.add_parser(
        "list", help="loads with file, rows, verdict and failed checks", description="List loads, newest last."
    )
    ll.add_argument("--rejected", action="store_true", help="only rejected loads awaiting a decision, with why")
    ll.add_argument("--limit", type=int, default=50, help="show the newest N loads (default 50)")
    ll.add_argument("--all", action="store_true", help="show every load")
    ll.set_defaults(func=cmd_loads_list)
    for decision, text in (
        ("reject", "retire a load for good: its rows never reach a model, and it no longer blocks runs"),
        ("accept", "accept a rejected load: the data is right and the check was too strict (recorded)"),
    ):
        d = loads_sub.add_parser(decision, help=text, description=text[0].upper() + text[1:] + ".")
        d.add_argument("load_id", help="the load's id (csw loads list)")
        d.add_argument("--reason", required=True, help="why: kept with the decision, shown by `csw status`")
        d.add_argument("--by", default=None, help="who decides (default: the current user)")
        d.set_defaults(func=cmd_loads_decide, decision=decision)

    sc = sub.add_parser(
        "score",
        help="the score guard: show the score's definition and figures; accept a change that lowers them",
        description="A change to the health score's definition (weights, rules, bands, alert rules, their SQL) "
        "that lowers the pooled AUC or the churn-risk alert precision beyond dbt/seeds/score_guard.csv, compared "
        "with the last publication, fails the mart checks. Accept it here, with a reason, if it is meant.",
    )
    score_sub = sc.add_subparsers(dest="score_command", required=True)
    ss = score_sub.add_parser(
        "show", help="definition and figures, built and published", description="Show the score guard's state."
    )
    ss.set_defaults(func=cmd_score)
    sa = score_sub.add_parser(
        "accept",
        help="accept the built definition of the score (recorded, kept in _publish_log.score_overrides)",
        description="Accept the score's current definition although it lowers the guarded figures.",
    )
    sa.add_argument("--reason", required=True, help="why: kept with the decision and in the publication's log")
    sa.add_argument("--by", default=None, help="who decides (default: the current user)")
    sa.set_defaults(func=cmd_score)

    b = sub.add_parser(
        "rollback",
        help="re-publish the previous kept version",
        description="Atomically replace published/marts.duckdb (and parquet/) with the previous kept version.",
    )
    b.set_defaults(func=cmd_rollback)

    db = sub.add_parser(
        "dbt",
        help="run dbt by hand on this warehouse (its settings, the run's as-of date)",
        description="dbt's own command line, with the environment a run gives it: the warehouse "
        "($CSW_WAREHOUSE_PATH), the engine, the as-of date (--as-of, else $CSW_AS_OF, else the sample's date, "
        "else today), the project's profiles. E.g. `csw dbt build --select account_health_weekly+`, "
        "`csw dbt test --select account_health_weekly,test_type:unit` (unit tests read their inputs' column types "
        "from the warehouse: build the upstream models first, or run once). Nothing is published: `csw run` does that.",
    )
    db.add_argument("--as-of", type=_date, default=None, help="the as-of date dbt builds for (YYYY-MM-DD)")
    db.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt's command and arguments")
    db.set_defaults(func=cmd_dbt)

    er = sub.add_parser(
        "erase",
        help="erase a person's personal data everywhere the warehouse keeps it (GDPR art. 17, CCPA)",
        description="Erase one person (a CRM contact, a product user) found in the raw layer by e-mail or id: their "
        "e-mail addresses, names and NPS comments are removed and their product user ids replaced by an anonymous "
        "key (counts stay the same) in the landing files, raw, the lake, quarantine copies, logs, quality reports, "
        "Dagster's event log and every kept published version; the models are dropped and the next run builds them "
        "again. Recorded in raw._erasures without the personal data. Not while a run is going on. docs/quality.md, "
        "'Erasing a person'.",
    )
    who = er.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the person's e-mail address (contacts and product users, any case)")
    who.add_argument("--contact-id", help="a CRM contact id")
    who.add_argument("--user-id", help="a product user id")
    er.add_argument("--reason", required=True, help="why (the request's reference): kept with the erasure")
    er.add_argument("--by", default=None, help="who erases (default: the current user)")
    er.set_defaults(func=cmd_erase)

    me = sub.add_parser(
        "metrics",
        help="metrics by name (MetricFlow) on the published marts: list them, query them",
        description="The semantic layer (dbt/models/semantic/_models.yml): every metric BI reads, defined once, "
        "queried by name and dimension on the published version (data/published/marts.duckdb, read-only). "
        "docs/bi.md, 'Metrics by name'.",
    )
    metrics_sub = me.add_subparsers(dest="metrics_command", required=True)
    ml = metrics_sub.add_parser("list", help="every metric, with -v its description and dimensions")
    ml.add_argument("-v", "--verbose", action="store_true", help="print each metric's description and dimensions")
    ml.set_defaults(func=cmd_metrics)
    mv = metrics_sub.add_parser(
        "validate",
        help="check the definitions and query every one on the published marts (mf validate-configs)",
        description="MetricFlow's semantic validations of dbt/models/semantic/_models.yml, then its warehouse "
        "validations (each semantic model, dimension, entity and metric queried) on the published marts.",
    )
    mv.set_defaults(func=cmd_metrics)
    mq = metrics_sub.add_parser(
        "query",
        help="query metrics by name",
        description="E.g. `csw metrics query --metrics nrr,grr --group-by month,retention_row__segment "
        "--where \"{{ Dimension('retention_row__segment_type') }} = 'service_tier'\"`. Time grains: day, week, "
        "month, quarter, year (for metric_time__<grain>); other dimensions by the names `csw metrics list -v` gives.",
    )
    mq.add_argument("--metrics", required=True, help="comma-separated metric names")
    mq.add_argument(
        "--group-by", default=None, help="comma-separated dimensions (month, quarter, account__region, ...)"
    )
    mq.add_argument(
        "--where",
        action="append",
        default=[],
        help="a filter in MetricFlow's syntax, e.g. \"{{ Dimension('account__region') }} = 'EMEA'\" (repeatable)",
    )
    mq.add_argument(
        "--order-by", default=None, help="comma-separated; a leading - sorts descending (write --order-by=-month)"
    )
    mq.add_argument("--limit", type=int, default=None, help="at most this many rows")
    mq.add_argument("--csv", action="store_true", help="write CSV to standard output")
    mq.add_argument(
        "--explain",
        action="store_true",
        help="print the SQL instead of running it, on the published file's table names (a BI tool's custom SQL)",
    )
    mq.set_defaults(func=cmd_metrics)

    rb = sub.add_parser(
        "rebuild",
        help="recreate the build file (warehouse.duckdb) from the lake's raw history",
        description="Make a new warehouse.duckdb from the lake (CSW_LAKE_DIR): every accepted load's rows and the "
        "ledger (load log, decisions, quarantined rows, source cursors), as the last run left them. Use it when the "
        "build file is lost or damaged; it refuses to overwrite one (move it aside first). Then `csw run`.",
    )
    rb.set_defaults(func=cmd_rebuild)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as e:
        print(f"csw: {e}", file=sys.stderr)
        return 2
    if args.command in WRITING_COMMANDS:
        _keep_out_of_git(settings)
    return args.func(args, settings)


# the commands that write under the data folder
WRITING_COMMANDS = ("generate", "run", "watch", "rebuild", "erase", "dbt")


def _keep_out_of_git(settings: Settings) -> None:
    """A data folder inside the checkout ignores itself (`*` in its own .gitignore, as .venv does), whatever
    $CSW_DATA_DIR names it: warehouse files, exports and logs never show up in `git status`."""
    data = settings.data_dir.resolve()
    if data == REPO_ROOT or not data.is_relative_to(REPO_ROOT):
        return
    data.mkdir(parents=True, exist_ok=True)
    marker = data / ".gitignore"
    if not marker.exists():
        marker.write_text("# written by csw: everything here is data\n*\n")


if __name__ == "__main__":
    sys.exit(main())
