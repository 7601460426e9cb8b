"""What a build read, in one fingerprint (lib/inputs.py): anything a build depends on moves it, nothing else does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from dagster_project.lib.inputs import (
    build_inputs,
    full_rebuild_reason,
    project_fingerprint,
    raw_state_fingerprint,
    record_build_inputs,
    restate_from,
    seeds_current,
    unchanged_models,
)


def _raw(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema raw")
    conn.execute("create table raw._load_log (load_id varchar, verdict varchar, file_size bigint)")
    conn.execute("insert into raw._load_log values ('a', 'accepted', 10), ('b', 'accepted', 20)")


def test_the_raw_state_moves_with_a_verdict_a_decision_or_an_erasure_and_not_with_row_order() -> None:
    conn = duckdb.connect()
    _raw(conn)
    first = raw_state_fingerprint(conn)
    conn.execute("create table raw._copy as select * from raw._load_log order by load_id desc")
    conn.execute("delete from raw._load_log")
    conn.execute("insert into raw._load_log select * from raw._copy")
    assert raw_state_fingerprint(conn) == first, "the same rows in another order"
    conn.execute("update raw._load_log set verdict = 'retired' where load_id = 'b'")
    retired = raw_state_fingerprint(conn)
    assert retired != first
    conn.execute("create table raw._load_decisions (load_id varchar, decision varchar)")
    assert raw_state_fingerprint(conn) != retired, "an empty decisions table is not no table"
    decided = raw_state_fingerprint(conn)
    conn.execute("insert into raw._load_decisions values ('b', 'reject')")
    assert raw_state_fingerprint(conn) != decided
    decided = raw_state_fingerprint(conn)
    conn.execute("create table raw._erasures (erased_at timestamptz)")
    conn.execute("insert into raw._erasures values (now())")
    assert raw_state_fingerprint(conn) != decided
    erased = raw_state_fingerprint(conn)
    record_build_inputs(conn, "run-1", "x")  # the per-run record itself is no input
    assert raw_state_fingerprint(conn) == erased


def test_the_project_moves_with_a_file_and_the_engine_not_with_dbt_output(tmp_path: Path) -> None:
    dbt = tmp_path / "dbt"
    (dbt / "models").mkdir(parents=True)
    (dbt / "models" / "m.sql").write_text("select 1")
    first = project_fingerprint([dbt], "duckdb")
    (dbt / "target").mkdir()
    (dbt / "target" / "manifest.json").write_text("{}")
    (dbt / "models" / "__pycache__").mkdir()
    (dbt / "models" / "__pycache__" / "x.py").write_text("")
    assert project_fingerprint([dbt], "duckdb") == first, "dbt's output and caches are no input"
    assert project_fingerprint([dbt], "spark") != first
    (dbt / "models" / "m.sql").write_text("select 2")
    assert project_fingerprint([dbt], "duckdb") != first
    (dbt / "models" / "m.sql").write_text("select 1")
    (dbt / "models" / "n.sql").write_text("")
    assert project_fingerprint([dbt], "duckdb") != first, "a new, empty model"


def test_publish_finds_the_fingerprint_of_its_own_run_only() -> None:
    conn = duckdb.connect()
    conn.execute("create schema raw")
    assert build_inputs(conn, "run-1") is None
    record_build_inputs(conn, "run-1", "one")
    record_build_inputs(conn, "run-2", "two")
    record_build_inputs(conn, "run-1", "one again")  # a re-executed step
    assert build_inputs(conn, "run-1") == "one again" and build_inputs(conn, "run-2") == "two"
    assert build_inputs(conn, "run-3") is None
    record_build_inputs(conn, "run-4", "four", project="p4")
    assert (
        build_inputs(conn, "run-4", column="project") == "p4" and build_inputs(conn, "run-2", column="project") is None
    )


def test_a_changed_project_or_a_retired_load_rebuilds_in_full() -> None:
    conn = duckdb.connect()
    conn.execute("create schema raw")
    conn.execute("create table raw._load_log (load_id varchar, status varchar, loaded_at timestamptz)")
    record_build_inputs(conn, "run-1", "inputs", project="p1")
    published = {"run_id": "run-1", "published_at": datetime(2026, 11, 16, 6, 0)}
    assert full_rebuild_reason(conn, published, "p1") is None
    assert full_rebuild_reason(conn, None, "p2") is None, "nothing published: nothing kept to rebuild"
    assert "the project" in (full_rebuild_reason(conn, published, "p2") or "")
    before = {"run_id": "run-0", "published_at": datetime(2026, 11, 15, 6, 0)}
    assert "the project" in (full_rebuild_reason(conn, before, "p1") or ""), "built before projects were recorded"
    # an accepted load retired after the publication (a retirement before it was rebuilt then)
    conn.execute(
        "insert into raw._load_decisions (load_id, table_name, file_path, decision, decided_by, decided_at, reason, "
        "previous_verdict) values ('L7', 'billing__invoices', 'f.csv', 'reject', 'ana', '2026-11-16 08:00:00+00', "
        "'duplicate export', 'accepted')"
    )
    assert full_rebuild_reason(conn, published, "p1") == "accepted load(s) L7 retired since the last publication"
    later = {"run_id": "run-1", "published_at": datetime(2026, 11, 16, 9, 0)}
    assert full_rebuild_reason(conn, later, "p1") is None


def test_seeds_are_skipped_only_when_every_build_since_the_publication_had_its_project() -> None:
    conn = duckdb.connect()
    conn.execute("create schema raw")
    conn.execute("create schema seeds")
    conn.execute("create table seeds.currencies (currency varchar)")
    seeds = [("seeds", "currencies")]
    record_build_inputs(conn, "run-1", "inputs", project="p1")
    published = {"run_id": "run-1", "published_at": datetime(2026, 11, 16, 6, 0)}
    record_build_inputs(conn, "run-2", "inputs", project="p1")  # this build
    assert seeds_current(conn, published, "p1", "run-2", seeds)
    assert not seeds_current(conn, None, "p1", "run-2", seeds), "nothing published: no seeds known to be loaded"
    assert not seeds_current(conn, published, "p2", "run-2", seeds), "the seeds (project) changed since"
    unknown = {"run_id": "run-0", "published_at": datetime(2026, 11, 15, 6, 0)}
    assert not seeds_current(conn, unknown, "p1", "run-2", seeds), "a publication whose build recorded nothing"
    assert not seeds_current(conn, published, "p1", "run-2", [*seeds, ("seeds", "fx_rates")]), "a seed table gone"
    # a build of another project since (it failed, then the project was put back): it reloaded other seeds
    record_build_inputs(conn, "run-3", "inputs", project="p2")
    record_build_inputs(conn, "run-4", "inputs", project="p1")
    assert not seeds_current(conn, published, "p1", "run-4", seeds)
    record_build_inputs(conn, "run-5", "inputs", project=None)  # a build from before projects were recorded
    assert not seeds_current(conn, {"run_id": "run-4", "published_at": None}, "p1", "run-6", seeds)


def test_a_staging_model_is_left_out_only_when_no_load_of_its_tables_was_accepted_since() -> None:
    conn = duckdb.connect()
    conn.execute("create schema raw")
    conn.execute("create schema staging")
    conn.execute(
        "create table raw._load_log (load_id varchar, table_name varchar, verdict varchar, verdict_at timestamptz)"
    )
    for model in ("stg_crm__accounts", "stg_billing__invoices", "stg_product__events", "stg_support__tickets"):
        conn.execute(f"create table staging.{model} (x int)")
    conn.execute(
        "insert into raw._load_log values "
        "('L1', 'crm__accounts', 'accepted', '2026-11-16 05:00:00+00'), "  # read by the publication's build
        "('L2', 'billing__invoices', 'accepted', '2026-11-16 07:00:00+00'), "  # accepted since
        "('L3', 'product__events', 'rejected', '2026-11-16 07:00:00+00'), "  # rejected: its rows reach nothing
        "('L4', 'support__tickets', 'pending', null)"  # not judged yet: invisible too
    )
    reads = {
        model: (("staging", model), [model.removeprefix("stg_")])
        for model in ("stg_crm__accounts", "stg_billing__invoices", "stg_product__events", "stg_support__tickets")
    }
    reads["stg_crm__csms"] = (("staging", "stg_crm__csms"), ["crm__csms"])  # no table (erased, or never built)
    since = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
    assert unchanged_models(conn, since, reads) == ["stg_crm__accounts", "stg_product__events", "stg_support__tickets"]
    # a person accepts the rejected load: its rows reach staging now
    conn.execute(
        "update raw._load_log set verdict = 'accepted', verdict_at = '2026-11-16 08:00:00+00' where load_id = 'L3'"
    )
    assert unchanged_models(conn, since, reads) == ["stg_crm__accounts", "stg_support__tickets"]


def _accepted(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema raw_accepted")
    conn.execute(
        "create table raw_accepted.billing__subscriptions (effective_at timestamptz, _accepted_at timestamptz)"
    )
    conn.execute("create table raw_accepted.product__features (feature_name varchar, _accepted_at timestamptz)")
    conn.execute(
        "create table raw_accepted.product__events (event_id varchar, account_id varchar, user_id varchar, "
        "event_name varchar, occurred_at timestamptz, _accepted_at timestamptz)"
    )
    conn.execute(
        "insert into raw_accepted.product__events values "
        "('e1', 'A', 'U1', 'login', '2025-03-04 09:00:00+00', '2025-03-05 06:00:00+00')"
    )
    conn.execute(
        "insert into raw_accepted.billing__subscriptions values "
        "('2025-03-05 10:00:00+00', '2026-11-10 06:00:00+00'), ('2026-11-14 09:00:00+00', '2026-11-15 06:00:00+00')"
    )


def test_a_batch_restates_from_its_earliest_effective_week_or_the_events_look_back() -> None:
    conn = duckdb.connect()
    _accepted(conn)
    since = datetime(2026, 11, 15, 5, 0, tzinfo=UTC)
    # nothing placed earlier than the look-back: 5 weeks before the week of the earlier as-of date (a Sunday)
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) == date(2026, 10, 5)
    # an as-of date moved back restates from its own week
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 9, 30), 5) == date(2026, 8, 24)
    # a subscription version taking effect three months back, recorded today: from its week, in UTC
    conn.execute(
        "insert into raw_accepted.billing__subscriptions values ('2026-08-10 00:30:00+02', '2026-11-16 06:00:00+00')"
    )
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) == date(2026, 8, 3)
    # ... the older acceptance (before `since`) was read by the previous build: not this batch
    assert restate_from(conn, datetime(2026, 11, 16, 7, 0, tzinfo=UTC), date(2026, 11, 16), date(2026, 11, 17), 5) == (
        date(2026, 10, 12)
    )
    # a change of the core features reaches every week; no previous build: every week
    conn.execute("insert into raw_accepted.product__features values ('reports', '2026-11-16 06:00:00+00')")
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) is None
    assert restate_from(conn, None, None, date(2026, 11, 16), 5) is None
    conn.execute("delete from raw_accepted.product__features")
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) == date(2026, 8, 3)
    # an event of this batch placed inside the window changes nothing; an event from March 2025 restates its
    # week, unless it is an exact copy of one accepted before (staging keeps one copy: nothing changes)
    events = "insert into raw_accepted.product__events values "
    conn.execute(events + "('e2', 'A', 'U1', 'login', '2026-10-20 09:00:00+00', '2026-11-16 06:00:00+00')")
    conn.execute(events + "('e1', 'A', 'U1', 'login', '2025-03-04 09:00:00+00', '2026-11-16 06:00:00+00')")
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) == date(2026, 8, 3)
    conn.execute(events + "('e1', 'A', 'U2', 'login', '2025-03-04 09:00:00+00', '2026-11-16 06:00:00+00')")
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) == date(2025, 3, 3), (
        "a copy that differs"
    )
    conn.execute("delete from raw_accepted.product__events where user_id = 'U2'")
    conn.execute(events + "('e3', 'B', 'U3', 'login', '2025-06-01 23:30:00-02', '2026-11-16 06:00:00+00')")
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) == date(2025, 6, 2), "late, in UTC"
    conn.execute("delete from raw_accepted.product__events where event_id = 'e3'")
    # a warehouse without the table (never loaded): every week
    conn.execute("drop table raw_accepted.billing__subscriptions")
    assert restate_from(conn, since, date(2026, 11, 15), date(2026, 11, 16), 5) is None
