"""A database outage answers 503 with Retry-After and a plain page, logged once per few seconds.

A stopped PostgreSQL used to give a 500 and two tracebacks per request. Now a view that hits
the outage (DatabaseOutageMiddleware) or a middleware that does (meds_site.errors.server_error
calls unavailable()) answers 503; the page cache above still serves what it holds.
Recovery needs no restart: Django opens a new connection on the next request.

PostgreSQL's statement_timeout cannot fire on a server that has stopped altogether (SIGSTOP,
a network cut): its kernel still accepts the bytes and nothing answers. So the web process's
connections also stop waiting on the client side (LimitedWaitConnection).
"""

from __future__ import annotations

import logging

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from meds_site.logs import ThrottleFilter

logger = logging.getLogger(__name__)
# One line per kind of failure per this many seconds, however many requests hit it.
LOG_EVERY_SECONDS = 5
log_throttle = ThrottleFilter(LOG_EVERY_SECONDS)
logger.addFilter(log_throttle)

# Refused, dropped or timed-out connections and statements (psycopg and sqlite3 errors arrive
# wrapped in these). Programming errors are not an outage and still give a 500.
OUTAGE_ERRORS = (OperationalError, InterfaceError)

FALLBACK_503 = (
    '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Sorry, this site is'
    " not working right now</title></head><body><h1>Sorry, this site is not working right now"
    "</h1><p>This site is having a problem. Please try again in a few minutes.</p><p>If you"
    " feel unwell, do not wait for the site: contact your care team or, in an emergency,"
    " call 999.</p></body></html>"
)


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def log_outage(exc: BaseException, where: str) -> None:
    """One short line, throttled per kind of error; never a traceback (the message says it)."""
    message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    logger.error(
        "database unavailable: %s: %s (%s)",
        type(exc).__name__,
        message,
        where,
        extra={"throttle_key": type(exc).__name__},
    )


def unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for a database outage: JSON for the API, the plain page otherwise."""
    # The path only: handout links carry a patient's name in the query string.
    log_outage(exc, f"{request.method} {request.path}")
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": "service unavailable"}, status=503)
    else:
        # No request context: context processors or the session may need the database too.
        try:
            html = loader.get_template("503.html").render()
        except Exception:  # the template or its static files may be what is broken
            html = FALLBACK_503
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    # Logged above, once per few seconds: Django's request logger must not add a line each.
    response._has_been_logged = True
    return response


# psycopg raises this private class when Connection.wait's own timeout expires (3.2 and later).
_WaitTimeout = getattr(psycopg.errors, "_WaitTimeout", None)


class LimitedWaitConnection(psycopg.Connection):
    """A psycopg connection that gives up on a server silent for longer than wait_limit seconds."""

    wait_limit: float | None = None

    def wait(self, gen, *args, timeout=None, **kwargs):
        limit = self.wait_limit if timeout is None else timeout
        try:
            return super().wait(gen, *args, timeout=limit, **kwargs)
        except _WaitTimeout:
            # The server may answer later, into a conversation we no longer follow: close it,
            # so that Django replaces it instead of reusing it.
            self.close()
            raise psycopg.OperationalError(
                f"the database did not answer within {limit:g}s"
            ) from None


def limit_waits(sender, connection, **kwargs) -> None:
    """On each new PostgreSQL connection, stop waiting after DB_READ_TIMEOUT seconds."""
    raw = connection.connection
    if settings.DB_READ_TIMEOUT and _WaitTimeout and type(raw) is psycopg.Connection:
        # psycopg has no setting for this and Django builds the connection itself; the
        # subclass only overrides wait(), so the swap keeps every attribute as it was.
        raw.__class__ = LimitedWaitConnection
        raw.wait_limit = settings.DB_READ_TIMEOUT


class DatabaseOutageMiddleware:
    """Turn a database outage inside a view into the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Web requests only: a management command (an import, a migration) waits as long as
        # its statements take.
        connection_created.connect(limit_waits, dispatch_uid="meds_site.outage.limit_waits")

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return unavailable(request, exception)
        return None
