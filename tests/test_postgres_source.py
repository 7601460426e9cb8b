"""Contract tables read from a real PostgreSQL server (a throw-away one, started here), not from files.

The whole path: the sample's accounts, subscriptions and users moved into PostgreSQL, the pipeline
run with CSW_PG_URL as a read-only role, the published marts equal to the file run's; and the
extraction's promises one by one: a second run loads nothing, updates and delete flags arrive,
a row committed late inside the overlap is not lost, a dropped column stops the table with its
reason, and the server going away mid-extract leaves whole batches and nothing half-loaded.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import TABLES
from dagster_project.devtools.pg_server import OWNER, READER, Server, start, stop
from dagster_project.generator import generate
from dagster_project.generator.to_postgres import load_into_postgres
from dagster_project.lib.postgres import Binding, load_bindings, load_postgres_table
from dagster_project.lib.settings import REPO_ROOT
from tests.helpers import PIPELINE_OPTIONS, PipelineRun, pipeline_env, published_differences, run_csw

BINDINGS = REPO_ROOT / "dagster_project" / "postgres_bindings.yml"
USERS = next(t for t in TABLES if t.raw_name == "product__users")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # not under pytest's tmp folder: the server runs as `postgres`, which cannot enter root's
    folder = Path(tempfile.mkdtemp(prefix="csw-pg-"))
    srv = start(folder)
    yield srv
    stop(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_run(server: Server, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The built-in sample with its accounts, subscriptions and users in PostgreSQL, through the pipeline."""
    data_dir = tmp_path_factory.mktemp("pg_pipeline")
    generate(data_dir / "landing", PIPELINE_OPTIONS)
    counts = load_into_postgres(data_dir / "landing", server.url(OWNER), load_bindings(BINDINGS), READER)
    assert set(counts) == {"crm__accounts", "billing__subscriptions", "product__users"}
    assert not (data_dir / "landing" / "billing" / "subscriptions").exists(), "the bound tables left the landing folder"
    env = pipeline_env(data_dir) | {"CSW_PG_URL": server.url(READER)}
    proc = run_csw(["run", "--as-of", PIPELINE_OPTIONS.as_of.isoformat()], env)
    return PipelineRun(data_dir, env, proc.returncode, proc.stdout + proc.stderr)


def test_published_marts_equal_the_file_run(pipeline_run: PipelineRun, pg_run: PipelineRun) -> None:
    assert pg_run.returncode == 0, pg_run.output[-3000:]
    assert pipeline_run.returncode == 0, pipeline_run.output[-3000:]
    files, pg = (run.data_dir / "published" / "marts.duckdb" for run in (pipeline_run, pg_run))
    con = duckdb.connect(str(files), read_only=True)
    marts = con.execute("select count(*) from duckdb_tables() where not starts_with(table_name, '_')").fetchone()[0]
    con.close()
    assert marts >= 15
    # the same engine on both sides: floating-point columns too must be equal exactly
    differences = published_differences(files, pg, float_digits=None)
    assert differences == [], "the file run and the PostgreSQL run differ:\n" + "\n".join(differences)
    lineage = pg_run.query("select distinct split_part(_source_file, '/', 1) from raw.billing__subscriptions")
    assert lineage == [("postgres:app.subscription_versions",)]


def test_a_second_run_loads_nothing(pg_run: PipelineRun) -> None:
    before = pg_run.query(
        "select count(*), sum(rows_loaded) from raw._load_log where starts_with(file_path, 'postgres:')"
    )
    proc = run_csw(["run", "--as-of", PIPELINE_OPTIONS.as_of.isoformat()], pg_run.env)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "0 new file(s), 0 rows" in proc.stdout
    assert (
        pg_run.query("select count(*), sum(rows_loaded) from raw._load_log where starts_with(file_path, 'postgres:')")
        == before
    )


# ---- the extraction's promises, on a small table of their own -------------------------------------


@pytest.fixture()
def users(server: Server, tmp_path: Path) -> Iterator[tuple[Binding, duckdb.DuckDBPyConnection, Path]]:
    """app.people: 300 users, bound as product/users; a fresh warehouse in tmp_path."""
    server.psql(
        """create schema if not exists app;
        drop table if exists app.people cascade;
        create table app.people (user_id text primary key, account_id text not null, email text,
            created_at timestamptz not null, deactivated_at timestamptz, updated_at timestamptz not null,
            is_deleted boolean, internal_note text);
        insert into app.people
        select 'USR-' || lpad(i::text, 4, '0'), 'ACC-000001', 'u' || i || '@example.com',
               timestamptz '2026-01-01' + i * interval '1 minute', null,
               timestamptz '2026-02-01' + i * interval '1 minute', false, 'an application column, not in the contract'
        from generate_series(1, 300) as i;
        grant usage on schema app to csw_reader; grant select on app.people to csw_reader;"""
    )
    conn = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield Binding(USERS, "app", "people", "updated_at"), conn, tmp_path
    conn.close()


def _load(server: Server, binding: Binding, conn: duckdb.DuckDBPyConnection, folder: Path, batch: int = 100):
    return load_postgres_table(
        conn, binding, server.url(READER), folder / "postgres", folder / "quarantine", batch, timedelta(minutes=10)
    )


def test_batches_updates_delete_flags_and_a_late_commit_inside_the_overlap(server: Server, users) -> None:
    binding, conn, folder = users
    first = _load(server, binding, conn, folder)
    assert (first.files_loaded, first.rows_loaded, first.issues) == (3, 300, [])
    assert _load(server, binding, conn, folder).rows_loaded == 0, "the overlap is read again, nothing is loaded twice"
    # an update, a delete flag, and a row committed late with an updated_at 5 minutes before the high-water mark
    server.psql(
        """update app.people set email = 'new@example.com', updated_at = timestamptz '2026-03-01' where user_id = 'USR-0001';
        update app.people set is_deleted = true, updated_at = timestamptz '2026-03-01 00:01' where user_id = 'USR-0002';
        insert into app.people values ('USR-9999', 'ACC-000001', 'late@example.com', timestamptz '2026-01-01', null,
            timestamptz '2026-02-01' + interval '295 minutes', false, null);"""
    )
    second = _load(server, binding, conn, folder)
    assert second.rows_loaded == 3
    rows = dict(conn.execute("select user_id, count(*) from raw.product__users group by 1").fetchall())
    assert len(rows) == 301 and rows["USR-0001"] == 2 and rows["USR-9999"] == 1
    latest = conn.execute(
        "select email, is_deleted from raw.product__users where user_id in ('USR-0001', 'USR-0002') "
        "qualify row_number() over (partition by user_id order by updated_at desc) = 1 order by user_id"
    ).fetchall()
    assert latest == [("new@example.com", False), ("u2@example.com", True)]
    hwm = conn.execute("select high_water_mark from raw._pg_cursors").fetchone()[0]
    assert f"{hwm:%Y-%m-%d %H:%M}" == "2026-03-01 00:01"


def test_a_dropped_column_stops_the_table_with_its_reason(server: Server, users) -> None:
    binding, conn, folder = users
    _load(server, binding, conn, folder)
    hwm = conn.execute("select high_water_mark from raw._pg_cursors").fetchone()[0]
    server.psql(
        "alter table app.people drop column created_at; "
        "update app.people set updated_at = timestamptz '2026-04-01' where user_id = 'USR-0003'"
    )
    result = _load(server, binding, conn, folder)
    assert result.rows_loaded == 0 and result.files_quarantined == 1
    assert "missing required column(s) created_at" in str(result.issues[0])
    assert conn.execute("select high_water_mark from raw._pg_cursors").fetchone()[0] == hwm, "the mark stays"
    verdict = conn.execute(
        "select verdict from raw._load_log where status = 'quarantined' and starts_with(file_path, 'postgres:app.people')"
    ).fetchall()
    assert verdict == [("rejected",)]


def test_the_server_going_away_mid_extract_leaves_whole_batches(server: Server, users) -> None:
    binding, conn, folder = users
    # each batch takes about a second (a sleep per row in a view), so the server can go away between them
    server.psql(
        "create view app.slow_people as select p.* from app.people p where pg_sleep(0.003)::text = ''; "
        "grant select on app.slow_people to csw_reader"
    )
    slow = Binding(USERS, "app", "slow_people", "updated_at")
    stopper = threading.Timer(2.5, lambda: stop(server.folder))
    stopper.start()
    try:
        with pytest.raises(ConnectionError, match="server went away|cannot connect"):
            _load(server, slow, conn, folder, batch=20)
    finally:
        stopper.join()
        start(server.folder)  # the same server again, for the tests after this one
    loads = conn.execute(
        "select l.rows_loaded, (select count(*) from raw.product__users r where r._load_id = l.load_id) "
        "from raw._load_log l where starts_with(l.file_path, 'postgres:')"
    ).fetchall()
    assert 0 < len(loads) < 15, "some batches were committed, not all"
    assert all(logged == stored == 20 for logged, stored in loads), "every committed batch is whole"
    hwm = conn.execute("select high_water_mark from raw._pg_cursors").fetchone()[0]
    assert conn.execute("select max(updated_at) from raw.product__users").fetchone()[0] == hwm
    # the next run goes on from there: every user exactly once
    for _ in range(20):  # the restarted server may need a moment
        try:
            _load(server, slow, conn, folder, batch=100)
            break
        except ConnectionError:
            time.sleep(0.5)
    assert conn.execute("select count(*), count(distinct user_id) from raw.product__users").fetchone() == (300, 300)


def test_an_unreachable_server_fails_the_run_clearly_after_retries(server: Server, pg_run: PipelineRun) -> None:
    """The extract retries (Dagster's retry policy), then the run fails naming the table and the server, with the
    password masked everywhere, and publishes nothing."""
    published = (pg_run.data_dir / "published" / "marts.duckdb").resolve()
    url = server.url(READER).replace(f"{READER}@", f"{READER}:not-to-be-seen@")
    stop(server.folder)
    try:
        proc = run_csw(["run", "--as-of", PIPELINE_OPTIONS.as_of.isoformat()], pg_run.env | {"CSW_PG_URL": url})
    finally:
        start(server.folder)
    assert proc.returncode != 0
    assert (
        "raised: ConnectionError: postgres:app." in proc.stdout
        and "cannot connect to postgresql://csw_reader:***@" in proc.stdout
    )
    assert "nothing was published" in proc.stdout
    logs = "".join(p.read_text() for p in (pg_run.data_dir / "logs").glob("*.log"))
    assert "not-to-be-seen" not in proc.stdout + proc.stderr + logs
    assert (pg_run.data_dir / "published" / "marts.duckdb").resolve() == published
