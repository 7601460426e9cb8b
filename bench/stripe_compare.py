"""Compare the marts of `make run-stripe` with a file-based run of the same sample: `python bench/stripe_compare.py`.

`make run-stripe` leaves `data/stripe-demo/`: the landing folder without billing (billing came from
localstripe) and the sample's billing files set aside (`billing-files-replaced-by-stripe/`). This runs the
pipeline once more on the same landing folder with those billing files put back, and prints, mart by mart,
how many rows are only in one of the two publications (subscription ids aside: Stripe's are `sub_...`),
and for the weekly health score which components differ. Results: bench/results/stripe-compare-<date>.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
CSW = str(Path(sys.executable).with_name("csw"))


def file_run(demo: Path, work: Path, as_of: str) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(demo / "landing", work / "landing")
    shutil.copytree(demo / "billing-files-replaced-by-stripe", work / "landing" / "billing")
    env = dict(os.environ, CSW_DATA_DIR=str(work), DAGSTER_HOME=str(work / "dagster_home"))
    for name in ("CSW_STRIPE_API_KEY", "CSW_STRIPE_API_BASE", "CSW_WAREHOUSE_PATH"):
        env.pop(name, None)
    subprocess.run([CSW, "run", "--as-of", as_of], env=env, check=True, cwd=REPO)
    return work


def compare(files: Path, stripe: Path) -> list[str]:
    con = duckdb.connect()
    con.execute(f"attach '{files / 'published' / 'marts.duckdb'}' as f (read_only)")
    con.execute(f"attach '{stripe / 'published' / 'marts.duckdb'}' as s (read_only)")
    lines = ["| mart | rows (files) | rows only in one of the two |", "|---|---|---|"]
    marts = con.execute(
        "select table_name from duckdb_tables() where database_name = 'f' and table_name <> '_publish_log' order by 1"
    ).fetchall()
    for (mart,) in marts:
        cols = [r[0] for r in con.execute(f'describe f.main."{mart}"').fetchall()]
        # Stripe's subscription ids (sub_...) are not the sample's (SUB-...)
        select = ", ".join(f'"{c}"' for c in cols if c != "subscription_id")
        total = con.execute(f'select count(*) from f.main."{mart}"').fetchone()[0]
        differing = sum(
            con.execute(
                f'select count(*) from (select {select} from {a}.main."{mart}" except all '
                f'select {select} from {b}.main."{mart}")'
            ).fetchone()[0]
            for a, b in (("f", "s"), ("s", "f"))
        )
        lines.append(f"| {mart} | {total} | {differing} |")
    components = [
        c for c, *_ in con.execute("describe f.main.account_health_weekly").fetchall() if c.endswith("_points")
    ]
    lines += ["", "Weekly health: account-weeks whose component differs", ""]
    for component in components:
        n = con.execute(
            f"select count(*) from f.main.account_health_weekly a join s.main.account_health_weekly b "
            f"using (account_id, week_start) where a.{component} is distinct from b.{component}"
        ).fetchone()[0]
        lines.append(f"- {component}: {n}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, default=REPO / "data" / "stripe-demo", help="make run-stripe's folder")
    parser.add_argument("--work", type=Path, default=REPO / "data" / "stripe-compare", help="the file run's folder")
    parser.add_argument("--as-of", default="2026-11-15", help="the as-of date make run-stripe used")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    if not (args.demo / "billing-files-replaced-by-stripe").is_dir():
        parser.error(f"{args.demo} holds no Stripe demo: run `make run-stripe` first")
    lines = compare(file_run(args.demo, args.work, args.as_of), args.demo)
    today = date.today().isoformat()
    header = [
        f"# Marts with billing from Stripe (localstripe) against files, {today}",
        "",
        "`python bench/stripe_compare.py` after `make run-stripe`.",
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"stripe-compare-{today}.md").write_text("\n".join(header + lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
