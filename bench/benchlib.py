"""What the bench scripts share: their PostgreSQL database, a free port, the code measured.

Imported by the scripts in this folder (run as `python bench/<script>.py`, so this folder is on
sys.path)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent


def database_create(url: str, *, recreate: bool = False) -> None:
    """CREATE DATABASE if it does not exist (DROP it first with `recreate`, only for a database
    named *_bench), connecting to the server's 'postgres' database."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    params = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    if recreate and not config["NAME"].endswith("_bench"):
        raise SystemExit(f"--recreate-database drops only a database named *_bench, not {config['NAME']!r}")
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        if recreate:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"])))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def code_version() -> str:
    """The commit measured, and whether tracked files differ from it (read-only git calls)."""
    try:
        git = ["git", "--no-optional-locks", "-C", str(BASE_DIR)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        status = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    modified = len(status.stdout.splitlines())
    return commit.stdout.strip() + (f" + {modified} modified file(s)" if modified else "")


def proc_stat(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: [state, ppid, ..., utime at 11, stime, cutime, cstime]."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class ServerProcess:
    """A server in a subprocess on a free port of 127.0.0.1. Its request log (stderr, one line per
    request) is kept in an anonymous temporary file, for the benches to count. `{port}` in the
    command's arguments is replaced by the port."""

    start_timeout = 60.0

    def __init__(self, command: list[str], env: dict[str, str]):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, *(part.format(port=self.port) for part in command)],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def wait_ready(self, probe) -> None:
        """Until `probe()` (an HTTP call to the server) returns True; fails if the server exits."""
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with status {self.process.returncode}:\n{self.log_text()[-2000:]}"
                )
            try:
                if probe():
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {self.start_timeout:.0f} s")
            time.sleep(0.1)

    def log_text(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process, from /proc (Linux); None elsewhere."""
        try:
            fields = proc_stat(self.process.pid)
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
