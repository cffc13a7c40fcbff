"""Logging helpers: a formatter that keeps a record to one line, a filter that throttles repeats."""

from __future__ import annotations

import logging
import threading
import time


class OneLineFormatter(logging.Formatter):
    """The message alone, never a traceback: for events whose cause the message already says."""

    def format(self, record: logging.LogRecord) -> str:
        # Copy, so that other handlers of the same record may still print its traceback.
        record = logging.makeLogRecord(record.__dict__)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return super().format(record)


class ThrottleFilter(logging.Filter):
    """Let one record of each kind through per `seconds`; the next one says how many were dropped.

    The kind is the record's `throttle_key` (passed in `extra`), or else its logger and message
    format. An outage repeats the same failure on every request: its first line says all.
    """

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.lock = threading.Lock()
        # kind -> (time.monotonic() of the last record let through, records dropped since)
        self.kinds: dict[tuple, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, getattr(record, "throttle_key", None) or record.msg)
        now = time.monotonic()
        with self.lock:
            last, dropped = self.kinds.get(kind, (None, 0))
            if last is not None and now - last < self.seconds:
                self.kinds[kind] = (last, dropped + 1)
                return False
            self.kinds[kind] = (now, 0)
        if dropped:
            seconds = round(now - last)
            record.msg = f"{record.getMessage()} (and {dropped} more like it in the {seconds}s since the last)"
            record.args = ()
        return True
