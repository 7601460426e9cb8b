from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CSW = str(Path(sys.executable).with_name("csw"))


@pytest.mark.parametrize("command", [[], ["generate"], ["run"], ["contract"]])
def test_every_command_has_help(command: list[str]) -> None:
    proc = subprocess.run([CSW, *command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "usage: csw" in proc.stdout


def test_bad_as_of_is_a_clear_error() -> None:
    proc = subprocess.run([CSW, "run", "--as-of", "tomorrow"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "'tomorrow' is not a date in YYYY-MM-DD form" in proc.stderr
