"""A real Spark standalone cluster on this machine, from the pyspark wheel: a master, two workers and
the Thrift (HiveServer2) server that dbt-spark's `thrift` method talks to, all on 127.0.0.1.

    python -m dagster_project.devtools.spark_cluster start FOLDER [--thrift-port 10000]
    python -m dagster_project.devtools.spark_cluster stop FOLDER

`start` prints `CSW_SPARK_HOST=127.0.0.1 CSW_SPARK_PORT=<port>` once the Thrift server accepts
connections; the processes, their logs, the Thrift server's catalog (Derby) and warehouse live
in FOLDER. `make spark-cluster` and the cluster test use it (docs/scale-out.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).parent
HOST = "127.0.0.1"
WORKERS = 2
PIDS_FILE = "pids.json"


@dataclass
class Cluster:
    folder: Path
    master_url: str
    thrift_port: int
    pids: tuple[int, ...]  # master, workers, Thrift server: each the leader of its process group

    def env(self) -> dict[str, str]:
        """What points the warehouse at this cluster's Thrift server."""
        return {"CSW_ENGINE": "spark", "CSW_SPARK_HOST": HOST, "CSW_SPARK_PORT": str(self.thrift_port)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, port)) == 0


def _spawn(folder: Path, name: str, args: list[str], env: dict[str, str]) -> int:
    log = open(folder / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
    proc = subprocess.Popen(
        [str(SPARK_HOME / "bin" / "spark-class"), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=folder,
        start_new_session=True,
    )
    return proc.pid


def _wait(port: int, what: str, folder: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _listening(port):
            return
        time.sleep(1)
    raise RuntimeError(f"{what} did not listen on {HOST}:{port} within {timeout:.0f} s; see the logs in {folder}")


def start(folder: Path, thrift_port: int | None = None, timeout: float = 240) -> Cluster:
    """Start master, workers and Thrift server (JVM start-up is 30-60 s on 2 cores); returns when all listen."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / PIDS_FILE).exists():
        stop(folder)
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": HOST, "SPARK_LOG_DIR": str(folder)}
    master_port, thrift_port = free_port(), thrift_port or free_port()
    master_url = f"spark://{HOST}:{master_port}"
    pids: dict[str, int] = {}
    try:
        pids["master"] = _spawn(
            folder,
            "master",
            ["org.apache.spark.deploy.master.Master", "--host", HOST, "--port", str(master_port),
             "--webui-port", str(free_port())],
            env,
        )  # fmt: skip
        _wait(master_port, "the Spark master", folder, timeout)
        for n in range(1, WORKERS + 1):
            work = folder / f"worker-{n}"
            work.mkdir(exist_ok=True)
            pids[f"worker-{n}"] = _spawn(
                folder,
                f"worker-{n}",
                ["org.apache.spark.deploy.worker.Worker", master_url, "--host", HOST, "--cores", "1",
                 "--memory", "2g", "--work-dir", str(work), "--webui-port", str(free_port())],
                env,
            )  # fmt: skip
        pids["thrift"] = _spawn(
            folder,
            "thrift",
            [
                "org.apache.spark.deploy.SparkSubmit",
                "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
                "--master", master_url,
                "--name", "csw-thrift",
                "--driver-memory", "2g",
                "--executor-memory", "1500m",
                "--total-executor-cores", str(WORKERS),
                "--conf", f"spark.sql.warehouse.dir={folder / 'warehouse'}",
                "--conf", f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
                "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={folder}",
                # what dbt/profiles.yml sets for a local session: a Thrift server takes it from its own conf
                "--conf", "spark.sql.session.timeZone=UTC",
                "--conf", "spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS",
                "--conf", "spark.sql.shuffle.partitions=4",
                "--conf", "spark.ui.enabled=false",
                "--hiveconf", f"hive.server2.thrift.port={thrift_port}",
                "--hiveconf", f"hive.server2.thrift.bind.host={HOST}",
                "spark-internal",
            ],
            env,
        )  # fmt: skip
        (folder / PIDS_FILE).write_text(json.dumps(pids))
        _wait(thrift_port, "the Spark Thrift server", folder, timeout)
    except BaseException:
        (folder / PIDS_FILE).write_text(json.dumps(pids))
        stop(folder)
        raise
    return Cluster(folder, master_url, thrift_port, tuple(pids.values()))


def stop(folder: Path) -> None:
    """Stop what `start` started in `folder` (each process group: the JVMs and their children)."""
    pids_file = folder / PIDS_FILE
    if not pids_file.exists():
        return
    pids = json.loads(pids_file.read_text())
    for pid in reversed(list(pids.values())):
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 30
    for pid in pids.values():
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    pids_file.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A Spark standalone cluster on 127.0.0.1 from the pyspark wheel.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("start", help="start a master, two workers and the Thrift server; print the settings")
    up.add_argument("folder", type=Path, help="where the processes keep their logs, catalog and warehouse")
    up.add_argument("--thrift-port", type=int, default=10000, help="the Thrift server's port (default 10000)")
    down = sub.add_parser("stop", help="stop the cluster started in FOLDER")
    down.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "start":
        try:
            cluster = start(args.folder, args.thrift_port)
        except RuntimeError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(" ".join(f"{k}={v}" for k, v in cluster.env().items()))
    else:
        stop(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
