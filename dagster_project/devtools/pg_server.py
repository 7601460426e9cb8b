"""A throw-away PostgreSQL server in a folder, for `make run-postgres` and the tests.

`initdb` + `pg_ctl start` from Debian's `postgresql` package (installed by `make` when missing), on
127.0.0.1 and a free port, trust authentication for local connections only; as root the server runs
as the `postgres` user (PostgreSQL refuses to run as root). It creates a database and two roles: the
owner that loads the sample (`csw_app`) and a read-only role the warehouse reads with (`csw_reader`).

    python -m dagster_project.devtools.pg_server start DIR   # prints the reader's URL
    python -m dagster_project.devtools.pg_server stop DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DATABASE = "app"
OWNER = "csw_app"
READER = "csw_reader"


def _bin(name: str) -> str:
    for candidate in (shutil.which(name), *sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise FileNotFoundError(f"{name} not found: install Debian's postgresql package (make does it: make postgres)")


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
            + (
                " (as root the server runs as 'postgres', which must be able to enter every parent folder)"
                if os.geteuid() == 0
                else ""
            )
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    folder: Path
    port: int

    def url(self, role: str = READER) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{DATABASE}"

    def psql(self, sql: str, role: str = OWNER) -> str:
        out = subprocess.run(
            ["psql", "-v", "ON_ERROR_STOP=1", "-qAt", self.url(role), "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()


def start(folder: Path, port: int | None = None) -> Server:
    """Create (once) and start a server whose data lives in `folder`; idempotent."""
    folder = folder.resolve()
    data = folder / "data"
    port_file = folder / "port"
    if (data / "postmaster.pid").exists() and port_file.exists():
        return Server(folder, int(port_file.read_text()))
    folder.mkdir(parents=True, exist_ok=True)
    port = port or (int(port_file.read_text()) if port_file.exists() else free_port())  # a restart keeps its port
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        _run(_as_server_user([_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]))
    _run(
        _as_server_user(
            [
                _bin("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "server.log"),
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                "-w",
                "start",
            ]
        )
    )
    port_file.write_text(str(port))
    server = Server(folder, port)
    admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    for _ in range(50):
        if subprocess.run(["psql", "-qAt", admin, "-c", "select 1"], capture_output=True).returncode == 0:
            break
        time.sleep(0.2)
    exists = subprocess.run(
        ["psql", "-qAt", admin, "-c", f"select 1 from pg_database where datname = '{DATABASE}'"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        for sql in (
            f"create role {OWNER} login",
            f"create role {READER} login",
            f"create database {DATABASE} owner {OWNER}",
        ):
            subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qAt", admin, "-c", sql], check=True, capture_output=True)
    return server


def stop(folder: Path) -> None:
    data = folder.resolve() / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_server_user([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("folder", type=Path, help="where the server keeps its data, log and port")
    args = parser.parse_args()
    if args.action == "start":
        print(start(args.folder).url())
    else:
        stop(args.folder)


if __name__ == "__main__":
    main()
