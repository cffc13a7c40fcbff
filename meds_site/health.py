"""The health check for load balancers, and the constant page bench/http.py measures against."""

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as CheckTimedOut

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from meds_site import outage

# The check runs in a thread of its own so that /healthz answers within
# HEALTH_CHECK_TIMEOUT even when the database hangs (a stopped server accepts connections
# and never answers; a statement can wait on a lock). One check at a time: while one is
# stuck, every poll waits on that same check and answers 503 when the time is up.
_lock = threading.Lock()
_running: Future | None = None


def _select_one() -> None:
    """SELECT 1 on a connection of the checker's own, closed afterwards (no idle connection kept)."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def _start_check() -> Future:
    check = Future()

    def run():
        try:
            _select_one()
        except BaseException as exc:
            check.set_exception(exc)
        else:
            check.set_result(None)

    # A daemon thread: a check stuck on a hung server must not keep the process from exiting.
    threading.Thread(target=run, name="healthz", daemon=True).start()
    return check


def check_database(timeout: float) -> BaseException | None:
    """None when the database answers SELECT 1 within timeout seconds; else what went wrong."""
    global _running
    with _lock:
        if _running is None or _running.done():
            _running = _start_check()
        check = _running
    try:
        check.result(timeout=timeout)
    except CheckTimedOut:
        return TimeoutError(f"the database did not answer within {timeout:g}s")
    except Exception as exc:
        return exc
    return None


@never_cache
def healthz(request):
    """200 when the database answers within HEALTH_CHECK_TIMEOUT, 503 at once when it does not."""
    problem = check_database(settings.HEALTH_CHECK_TIMEOUT)
    if problem is not None:
        outage.log_outage(problem, "health check")
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        # Logged above, once per few seconds; not again by Django on every poll.
        response._has_been_logged = True
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def bench_baseline(request):
    """A constant response behind the full middleware stack: the benchmarks' yardstick."""
    return HttpResponse(b"<!doctype html><title>baseline</title><p>ok</p>")
