"""Shared fixtures: a small generated dataset run through the whole pipeline once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.generator import generate
from tests.helpers import PIPELINE_OPTIONS, PipelineRun, pipeline_env, run_csw


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    """The built-in sample data (200 accounts x 24 months) through extract, dbt build (with tests) and publish."""
    data_dir = tmp_path_factory.mktemp("pipeline")
    generate(data_dir / "landing", PIPELINE_OPTIONS)
    env = pipeline_env(data_dir)
    proc = run_csw(["run", "--as-of", PIPELINE_OPTIONS.as_of.isoformat()], env)
    yield PipelineRun(data_dir, env, proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def baseline(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert pipeline_run.returncode == 0, pipeline_run.output[-3000:]
    copy = tmp_path_factory.mktemp("baseline") / "data"
    shutil.copytree(pipeline_run.data_dir, copy, ignore=shutil.ignore_patterns("quality"))
    return copy


@pytest.fixture
def workspace(baseline: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(baseline, data)
    return data
