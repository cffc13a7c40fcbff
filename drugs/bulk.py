"""Plain inserts (one statement run for every row) for the rows an import writes by the
hundred thousand.

bulk_create() builds a model instance and runs every field's conversions for each row: most of
an import's time once thousands of monographs are loaded. The rows written here are plain
(text, numbers, ids and None, which both databases take as they are), nothing reads their ids
back, and no signal would be sent for them anyway.
"""

from __future__ import annotations

from collections.abc import Iterable

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
