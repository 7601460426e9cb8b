"""The Dagster instance `csw` sets up: Dagster's SQLite layout, with the event log's connections kept open."""

import shutil
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, asset, materialize
from dagster._core.storage.base_storage import DagsterStorage

import dagster_project
from dagster_project.dagster_storage import OPEN_DATABASES, PooledSqliteEventLogStorage


@asset
def numbers() -> list[int]:
    return [1, 2, 3]


def instance_at(home: Path, monkeypatch) -> DagsterInstance:
    home.mkdir(exist_ok=True)
    shutil.copy(Path(dagster_project.__file__).with_name("dagster.yaml"), home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return DagsterInstance.get()


def test_runs_and_events_are_stored_where_dagster_keeps_them(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "dagster_home"
    with instance_at(home, monkeypatch) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        result = materialize([numbers], instance=instance)
        assert result.success
        run_id = result.run_id
    # Dagster's default layout: a database per run, the index, the run history
    assert (home / "history" / "runs" / f"{run_id}.db").exists()
    assert (home / "history" / "runs" / "index.db").exists()
    assert (home / "history" / "runs.db").exists()
    # another process (the UI, the daemon) reading the same files sees the run and its events
    with DagsterInstance.from_config(str(home)) as other:
        assert other.get_run_by_id(run_id).is_success
        kinds = {e.dagster_event.event_type_value for e in other.all_logs(run_id) if e.dagster_event}
        assert {DagsterEventType.ASSET_MATERIALIZATION.value, DagsterEventType.RUN_SUCCESS.value} <= kinds
        assert other.get_latest_materialization_event(numbers.key).run_id == run_id


def test_run_workers_rebuild_the_same_event_log(tmp_path: Path, monkeypatch) -> None:
    with instance_at(tmp_path / "dagster_home", monkeypatch) as instance:
        storage = instance.get_ref().storage_data.rehydrate(as_type=DagsterStorage)
        assert isinstance(storage.event_log_storage, PooledSqliteEventLogStorage)
        rebuilt = storage.event_storage_data.rehydrate(as_type=PooledSqliteEventLogStorage)
        assert rebuilt._base_dir == instance.event_log_storage._base_dir
        rebuilt.dispose()
        storage.dispose()


def test_a_long_lived_process_keeps_only_recent_databases_open(tmp_path: Path, monkeypatch) -> None:
    with instance_at(tmp_path / "dagster_home", monkeypatch) as instance:
        for _ in range(OPEN_DATABASES + 4):
            assert materialize([numbers], instance=instance).success
        storage = instance.event_log_storage
        assert len(storage._engines) <= OPEN_DATABASES
        assert len(instance.get_runs()) == OPEN_DATABASES + 4
        instance.dispose()
        assert not storage._engines
