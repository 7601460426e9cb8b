"""`csw` with a pause in the middle of writing the new published version, for the kill-during-publish test.

Run as `python -m tests.slow_publish run --as-of ...`: the same command line as `csw`, but the
second mart's copy waits 5 s first, which leaves the test a window to SIGKILL the run mid-publish.
"""

from __future__ import annotations

import sys
import time

from dagster_project import cli
from dagster_project.lib import publish

PAUSE_SECONDS = 5
_copy_mart = publish.copy_mart
_copied: list[str] = []


def slow_copy_mart(conn, mart, parquet):  # noqa: ANN001, ANN201 (the wrapped function's own signature)
    _copied.append(mart)
    if len(_copied) == 2:
        time.sleep(PAUSE_SECONDS)
    return _copy_mart(conn, mart, parquet)


publish.copy_mart = slow_copy_mart

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
