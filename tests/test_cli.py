from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CSW = str(Path(sys.executable).with_name("csw"))


def _commands() -> list[list[str]]:
    """Every command and sub-command of csw, read from its parser: a new one is covered without a list here."""
    import argparse

    from dagster_project.cli import build_parser

    found: list[list[str]] = [[]]

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "csw")
def test_every_command_has_help(command: list[str]) -> None:
    proc = subprocess.run([CSW, *command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "usage: csw" in proc.stdout


def test_bad_as_of_is_a_clear_error() -> None:
    proc = subprocess.run([CSW, "run", "--as-of", "tomorrow"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "'tomorrow' is not a date in YYYY-MM-DD form" in proc.stderr
