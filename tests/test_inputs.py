"""What a build read, in one fingerprint (lib/inputs.py): anything a build depends on moves it, nothing else does."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.lib.inputs import build_inputs, project_fingerprint, raw_state_fingerprint, record_build_inputs


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
