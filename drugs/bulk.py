"""Plain inserts (one statement run for every row) for the rows an import writes by the
hundred thousand, and lighter garbage collection while it runs.

bulk_create() builds a model instance and runs every field's conversions for each row: most of
an import's time once thousands of monographs are loaded. The rows written here are plain
(text, numbers, ids and None, which both databases take as they are), nothing reads their ids
back, and no signal would be sent for them anyway.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connection


def insert(model, fields: Iterable[str], rows: list[tuple]) -> None:
    """INSERT rows (tuples of values in the order of fields) into the model's table."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [quote(model._meta.get_field(name).column) for name in fields]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@contextmanager
def fewer_collections():
    """Run Python's cycle collector less often while an import piles up long-lived objects.

    With the default thresholds it scans every parsed monograph and pending row again and again
    (what that cost: bench/README.md). The importer
    collects the garbage of each round of drugs itself (collect_round).
    """
    before = gc.get_threshold()
    gc.set_threshold(10_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def keep_out_of_collections() -> None:
    """Leave everything alive now (the parsed monographs) out of later collections."""
    gc.freeze()


def collect_round() -> None:
    """Free a round's reference cycles (rows loaded with their related rows point back at
    their drug): without this, a re-import of 2000 monographs peaked at 606 MB."""
    gc.collect()
