"""What the bench scripts share: their PostgreSQL database, a free port, the code measured.

Imported by the scripts in this folder (run as `python bench/<script>.py`, so this folder is on
sys.path)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

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
