"""What the benchmark scripts share: a fresh database for each run."""

from __future__ import annotations

import os
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
