"""Lighter garbage collection while an import runs, so its memory stays flat and its time low."""

from __future__ import annotations

import gc
from contextlib import contextmanager


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
