"""What the benchmark scripts share: a fresh database for each run, and the server's settings."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")


@contextmanager
def fresh_database(postgres: bool, folder: Path, label: str):
    """A fresh, empty database URL (SQLite file in folder, or PostgreSQL), dropped afterwards."""
    if not postgres:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    import psycopg

    # Names come from the script and the process id, never from user input.
    name = f"meds_bench_{label}_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database_url: str, static_root: Path, redis_url: str = "") -> dict:
    """The environment a benchmarked server runs with: production settings on local loopback."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "BENCH_BASELINE": "1",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(static_root),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
