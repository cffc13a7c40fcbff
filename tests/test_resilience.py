"""Faults: the database or Redis stopped or hung, a bad Host header, SQLite locked by an import."""

import contextlib
import io
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from django.core.signals import got_request_exception
from django.db import OperationalError, connection, connections, transaction
from django.urls import reverse

from drugs import page_cache
from meds_site import outage
from meds_site.cache import GuardedRedisCache
from meds_site.logs import OneLineFormatter

ROOT = Path(__file__).resolve().parent.parent
# What a request may take when the thing it waits for is hung: the timeout and some slack
# for a machine shared with other work. Without the timeouts they wait for ever.
SLACK = 1.0


@pytest.fixture
def client(client):
    # What a visitor gets: the test client would otherwise re-raise an exception that Django
    # handled by calling the error handler (as it does for one raised in a middleware).
    client.raise_request_exception = False
    return client


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    # Module state: a version read or a throttled log line left by an earlier test.
    monkeypatch.setattr(page_cache, "_last_read", (None, 0.0))
    outage.log_throttle.kinds.clear()


@contextlib.contextmanager
def hung_server(hold: float = 3.0):
    """A port that accepts connections and never answers, as a stopped (SIGSTOP) server does.

    Each connection is closed after `hold` seconds, so a client without a timeout makes its
    test fail on the time it took instead of hanging the suite.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    server = types.SimpleNamespace(port=listener.getsockname()[1], accepted=0)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.05)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append((listener.accept()[0], time.monotonic()))
                server.accepted += 1
            for sock, since in list(held):
                if time.monotonic() - since > hold:
                    sock.close()
                    held.remove((sock, since))

    worker = threading.Thread(target=accept, daemon=True)
    worker.start()
    try:
        yield server
    finally:
        stop.set()
        worker.join()
        for sock, _ in held:
            sock.close()
        listener.close()


@contextlib.contextmanager
def freezable_proxy(target_port: int, hold: float = 10.0):
    """A forwarder to a real server; `frozen.set()` makes it go silent as a stopped server does.

    After `hold` seconds frozen it hangs up, so a client without a timeout fails its test.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    frozen, stop = threading.Event(), threading.Event()
    sockets = []

    def hang_up_when_held_too_long():
        if frozen.wait() and not stop.wait(hold):
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    threading.Thread(target=hang_up_when_held_too_long, daemon=True).start()

    def pipe(source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if not frozen.is_set():
                    sink.sendall(data)

    def accept():
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                client = listener.accept()[0]
                server = socket.create_connection(("127.0.0.1", target_port))
                sockets.extend([client, server])
                for ends in ((client, server), (server, client)):
                    threading.Thread(target=pipe, args=ends, daemon=True).start()

    worker = threading.Thread(target=accept, daemon=True)
    worker.start()
    try:
        yield listener.getsockname()[1], frozen
    finally:
        stop.set()
        frozen.set()
        worker.join()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        listener.close()


def closed_port() -> int:
    """A port nothing listens on: connections are refused at once, as with a stopped server."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@contextlib.contextmanager
def database_refusing(monkeypatch):
    """Every new or reused connection fails, in every thread, as when the server is stopped."""

    def refuse(self):
        raise OperationalError("connection refused: the server is not running")

    with monkeypatch.context() as patch:
        patch.setattr(type(connections["default"]), "ensure_connection", refuse)
        yield


@contextlib.contextmanager
def postgres_at(port: int):
    """Point the default connection at another port (a closed or hung one), then back."""
    settings_dict = connection.settings_dict
    original = settings_dict["PORT"], settings_dict["HOST"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", port
    try:
        yield
    finally:
        connection.close()
        settings_dict["PORT"], settings_dict["HOST"] = original


def timed_get(client, url, **extra):
    started = time.monotonic()
    response = client.get(url, **extra)
    return response, time.monotonic() - started


def records_of(caplog, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


# --- the database stopped --------------------------------------------------------------------


@pytest.mark.django_db
class TestDatabaseDown:
    def test_an_uncached_page_answers_503_with_retry_after_and_the_plain_page(
        self, client, content, drug_url, monkeypatch
    ):
        with database_refusing(monkeypatch):
            response = client.get(drug_url)

        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response["Cache-Control"] == "no-store"
        text = response.content.decode()
        assert "This site is having a problem" in text
        # Never weaker than the 500 page's advice.
        assert "contact your care team or, in an emergency, call 999" in text

    def test_a_view_that_meets_the_outage_answers_503(self, client, content, monkeypatch, caplog):
        # A POST skips the page cache, so the view itself is the first to need the database.
        url = reverse("drugs:handout", kwargs={"slug": "exampleamide"})
        reported = []

        def report(sender, **kwargs):
            reported.append(kwargs)

        got_request_exception.connect(report)
        try:
            with database_refusing(monkeypatch), caplog.at_level(logging.INFO):
                response = client.post(url, {"patient_name": "A Patient"})
        finally:
            got_request_exception.disconnect(report)

        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert "This site is having a problem" in response.content.decode()
        assert records_of(caplog, "django.request") == []
        # Error reporters (Sentry and the like) hook this signal: no event per request.
        assert reported == []

    def test_a_cached_page_is_still_served(self, client, content, drug_url, monkeypatch, settings):
        # Production's bound on reusing the content version; the clock then moves well past
        # it, so the hit must try the database, fail, and serve the version it has.
        from drugs import page_cache
        from meds_site import settings as production

        settings.PAGE_CACHE_VERSION_REUSE_MS = production.PAGE_CACHE_VERSION_REUSE_MS
        page_cache.forget_version()
        assert client.get(drug_url).status_code == 200
        later = page_cache.monotonic() + 60
        monkeypatch.setattr(page_cache, "monotonic", lambda: later)

        with database_refusing(monkeypatch):
            response = client.get(drug_url)

        assert response.status_code == 200
        assert response.wsgi_request.page_cache == "hit"

    def test_a_hit_that_must_read_the_version_answers_503_not_500(
        self, client, content, drug_url, monkeypatch
    ):
        # The page cache's version read fails in a middleware, above the outage middleware:
        # the 500 handler turns it into the same 503.
        client.get(drug_url)

        with database_refusing(monkeypatch):
            response = client.get(drug_url)

        assert response.status_code == 503
        assert response["Retry-After"]

    def test_the_api_answers_503_in_json(self, client, content, monkeypatch):
        with database_refusing(monkeypatch):
            response = client.get(reverse("drugs:api_drugs"))

        assert response.status_code == 503
        assert response.json() == {"error": "service unavailable"}
        assert response["Retry-After"]

    def test_it_logs_one_short_line_per_failure_kind_not_a_traceback_per_request(
        self, client, content, monkeypatch, caplog
    ):
        urls = [reverse("drugs:detail", kwargs={"slug": "exampleamide"}), reverse("drugs:list")]
        with database_refusing(monkeypatch), caplog.at_level(logging.INFO):
            statuses = {client.get(urls[i % 2]).status_code for i in range(20)}

        assert statuses == {503}
        lines = records_of(caplog, "meds_site.outage")
        assert len(lines) == 1
        assert (
            lines[0]
            .getMessage()
            .startswith("database unavailable: OperationalError: connection refused")
        )
        assert lines[0].exc_info is None
        assert records_of(caplog, "django.request") == []

    def test_the_next_line_after_the_quiet_time_counts_what_it_left_out(
        self, client, content, drug_url, monkeypatch, caplog
    ):
        monkeypatch.setattr(outage.log_throttle, "seconds", 0.2)
        with database_refusing(monkeypatch), caplog.at_level(logging.INFO):
            for _ in range(5):
                client.get(drug_url)
            time.sleep(0.25)
            client.get(drug_url)

        lines = [r.getMessage() for r in records_of(caplog, "meds_site.outage")]
        assert len(lines) == 2
        assert "(and 4 more like it in the 0s since the last)" in lines[1]

    def test_a_programming_error_is_still_a_500(self, client, content, drug_url, monkeypatch):
        from django.db import ProgrammingError

        def broken(self):
            raise ProgrammingError("no such column")

        monkeypatch.setattr(type(connections["default"]), "ensure_connection", broken)

        assert client.get(drug_url).status_code == 500

    def test_pages_come_back_when_the_database_does(self, client, content, drug_url, monkeypatch):
        with database_refusing(monkeypatch):
            assert client.get(drug_url).status_code == 503

        assert client.get(drug_url).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestPostgresStoppedOrHung:
    """A real connection to a closed port and to one that never answers."""

    def test_a_stopped_server_gives_503_and_recovery_needs_no_restart(
        self, client, content, drug_url, settings
    ):
        from meds_site import settings as production

        settings.PAGE_CACHE_VERSION_REUSE_MS = production.PAGE_CACHE_VERSION_REUSE_MS
        cached = reverse("drugs:list")
        client.get(cached)

        with postgres_at(closed_port()):
            uncached, took = timed_get(client, drug_url)
            hit = client.get(cached)

        assert uncached.status_code == 503
        assert uncached["Retry-After"]
        assert took < SLACK
        assert hit.status_code == 200
        assert client.get(drug_url).status_code == 200

    def test_a_hung_server_answers_503_within_the_connect_timeout(
        self, client, content, drug_url, settings
    ):
        with hung_server(hold=settings.DB_CONNECT_TIMEOUT + 5) as hung, postgres_at(hung.port):
            response, took = timed_get(client, drug_url)

        assert response.status_code == 503
        assert took < settings.DB_CONNECT_TIMEOUT + SLACK

    def test_a_server_that_stops_mid_conversation_answers_503_within_the_read_timeout(
        self, client, content, drug_url, settings
    ):
        # Connected first, then silent: the statement timeout cannot help (the server is not
        # running to enforce it), the client-side limit does.
        settings.DB_READ_TIMEOUT = 1
        real_port = int(connection.settings_dict["PORT"] or 5432)
        with freezable_proxy(real_port) as (port, frozen), postgres_at(port):
            assert client.get(drug_url).status_code == 200
            frozen.set()
            response, took = timed_get(client, reverse("drugs:list"))

        assert response.status_code == 503
        assert took < settings.DB_READ_TIMEOUT + SLACK
        assert client.get(drug_url).status_code == 200
        connection.close()  # the test's own 1 s limit must not apply to the flush after it

    def test_healthz_answers_503_within_a_second_while_the_server_hangs(self, client, settings):
        from meds_site import health

        with hung_server(hold=settings.DB_CONNECT_TIMEOUT + 5) as hung, postgres_at(hung.port):
            first, took_first = timed_get(client, reverse("healthz"))
            # The first check is still waiting to connect: the next poll waits on it too.
            second, took_second = timed_get(client, reverse("healthz"))
            with contextlib.suppress(Exception):
                health._running.result(timeout=settings.DB_CONNECT_TIMEOUT + 5)

        assert (first.status_code, second.status_code) == (503, 503)
        assert took_first < 1 and took_second < 1
        assert client.get(reverse("healthz")).status_code == 200

    def test_statements_have_a_time_limit(self, settings):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == f"{round(settings.DB_STATEMENT_TIMEOUT)}s"


# --- SQLite while an import writes -----------------------------------------------------------


@pytest.mark.django_db
def test_sqlite_waits_for_an_importers_write_lock_instead_of_failing(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locking: PostgreSQL has no database-wide write lock")
    path = tmp_path / "site.sqlite3"
    site = type(connections["default"])(
        {**connections.settings["default"], "NAME": str(path)}, "site"
    )
    connections["site"] = site
    with site.cursor() as cursor:
        cursor.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, text TEXT)")
    # The importer: another process holding the write lock for half a second. EXCLUSIVE, as
    # a big import's is once it spills to the file: without WAL, readers must wait for it too.
    importer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    importer.execute("BEGIN EXCLUSIVE")
    importer.execute("INSERT INTO feedback (text) VALUES ('import')")
    threading.Timer(0.5, importer.commit).start()

    started = time.monotonic()
    with site.cursor() as cursor:
        # WAL: pages read while the import writes.
        cursor.execute("SELECT count(*) FROM feedback")
        read_took = time.monotonic() - started
    # A request that reads, then writes (a feedback post): it waits for the lock.
    with transaction.atomic(using="site"), site.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM feedback")
        cursor.execute("INSERT INTO feedback (text) VALUES ('visitor')")
    site.close()
    importer.close()
    del connections["site"]

    assert read_took < 0.4
    assert sqlite3.connect(path).execute("SELECT count(*) FROM feedback").fetchone() == (2,)


# --- Redis stopped or hung -------------------------------------------------------------------


def guarded_cache(port: int) -> GuardedRedisCache:
    from django.conf import settings

    return GuardedRedisCache(
        f"redis://127.0.0.1:{port}/15",
        {
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
            }
        },
    )


def redis_settings(port: int) -> dict:
    from django.conf import settings

    return {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "meds_site.cache.GuardedRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/15",
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
            },
        }
    }


class TestRedisDown:
    def test_every_call_answers_as_an_empty_cache(self):
        redis = guarded_cache(closed_port())

        assert redis.get("page", "missing") == "missing"
        redis.skip_until = 0  # ask Redis itself each time, not the open breaker
        assert redis.get_many(["a", "b"]) == {}
        redis.skip_until = 0
        assert redis.add("a", 1) is False
        redis.skip_until = 0
        assert redis.set_many({"a": 1, "b": 2}) == ["a", "b"]
        redis.skip_until = 0
        assert redis.set("a", 1) is None
        redis.skip_until = 0
        assert redis.delete("a") is False
        redis.skip_until = 0
        with pytest.raises(ValueError):
            redis.incr("count")
        assert redis.get_or_set("page", "rendered") == "rendered"

    def test_the_outage_is_logged_once_without_a_traceback(self, caplog):
        redis = guarded_cache(closed_port())
        with caplog.at_level(logging.INFO):
            for _ in range(10):
                redis.get("page")
                redis.skip_until = 0

        lines = records_of(caplog, "meds_site.cache")
        assert len(lines) == 1
        assert lines[0].getMessage().startswith("cache: Redis unavailable (ConnectionError")
        assert lines[0].exc_info is None

    def test_the_breaker_lets_redis_back_in_after_its_quiet_time(self, monkeypatch, caplog):
        redis = guarded_cache(closed_port())
        calls = []

        def flaky(key, default, version=None):
            calls.append(key)
            if len(calls) == 1:
                from redis.exceptions import ConnectionError

                raise ConnectionError("refused")
            return "stored page"

        monkeypatch.setattr(redis._cache, "get", flaky)
        with caplog.at_level(logging.INFO):
            assert redis.get("page") is None
            assert redis.get("page") is None  # breaker open: Redis not asked
            assert len(calls) == 1
            now = time.monotonic()
            monkeypatch.setattr(
                "meds_site.cache.time.monotonic", lambda: now + redis_breaker_seconds() + 1
            )
            assert redis.get("page") == "stored page"

        assert [r.getMessage() for r in records_of(caplog, "meds_site.cache")][-1] == (
            "cache: Redis answers again"
        )

    def test_pages_are_served_and_cached_pages_rendered_again(
        self, client, content, drug_url, settings, caplog
    ):
        settings.CACHES = redis_settings(closed_port())
        with caplog.at_level(logging.INFO):
            responses = [client.get(drug_url) for _ in range(3)]

        assert [r.status_code for r in responses] == [200, 200, 200]
        assert [r.wsgi_request.page_cache for r in responses] == ["miss"] * 3
        assert len(records_of(caplog, "meds_site.cache")) == 1
        assert records_of(caplog, "drugs.page_cache") == []


def redis_breaker_seconds() -> float:
    from django.conf import settings

    return settings.CACHE_BREAKER_SECONDS


class TestRedisHung:
    def test_a_call_waits_one_short_timeout_then_the_breaker_skips_redis(self, settings):
        with hung_server() as hung:
            redis = guarded_cache(hung.port)
            first = time.monotonic()
            assert redis.get("page", "missing") == "missing"
            first = time.monotonic() - first
            later = time.monotonic()
            for _ in range(20):
                redis.get("page")
                redis.set("page", "body")
            later = time.monotonic() - later

        # One connect (accepted at once) and one 0.2 s read timeout; 5 s each without them.
        assert first < 0.8
        assert later < 0.05

    def test_pages_answer_within_the_timeouts(self, client, content, drug_url, settings):
        with hung_server() as hung:
            settings.CACHES = redis_settings(hung.port)
            first, took = timed_get(client, drug_url)
            asked = hung.accepted
            second = client.get(drug_url)

            assert (first.status_code, second.status_code) == (200, 200)
            assert took < 0.5 + SLACK
            # The breaker is open: the second page does not ask Redis at all.
            assert asked >= 1
            assert hung.accepted == asked


# --- a bad Host header -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_host_logs_one_short_line(client, caplog):
    logger = logging.getLogger("django.security.DisallowedHost")
    (handler,) = [h for h in logger.handlers if isinstance(h.formatter, OneLineFormatter)]
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        with caplog.at_level(logging.INFO):
            response = client.get(reverse("drugs:home"), HTTP_HOST="scanner.example")
    finally:
        handler.setStream(previous)

    assert response.status_code == 400
    assert written.getvalue().splitlines() == [
        "django.security.DisallowedHost: Invalid HTTP_HOST header: 'scanner.example'. "
        "You may need to add 'scanner.example' to ALLOWED_HOSTS."
    ]
    assert records_of(caplog, "django.request") == []


# --- settings --------------------------------------------------------------------------------


def settings_of(expression: str, **env) -> subprocess.CompletedProcess:
    """Evaluate an expression on the production settings, imported in a clean process."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-c", f"import meds_site.settings as s; print({expression})"],
        cwd=ROOT,
        env={**clean, "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestTimeoutSettings:
    def test_postgresql_gets_a_connect_and_a_statement_timeout(self):
        result = settings_of(
            "s.DATABASES['default']['OPTIONS']", DATABASE_URL="postgres://u@db.internal/meds"
        )

        assert result.stdout.strip() == (
            "{'connect_timeout': 2, 'options': '-c statement_timeout=5000'}"
        )

    def test_a_statement_timeout_of_0_sets_none(self):
        result = settings_of(
            "s.DATABASES['default']['OPTIONS']",
            DATABASE_URL="postgres://u@db.internal/meds",
            DB_STATEMENT_TIMEOUT="0",
            DB_CONNECT_TIMEOUT="3",
        )

        assert result.stdout.strip() == "{'connect_timeout': 3}"

    def test_sqlite_waits_for_locks_and_reads_beside_a_writer(self):
        result = settings_of("s.DATABASES['default']['OPTIONS']", DB_SQLITE_BUSY_TIMEOUT="2.5")

        assert result.stdout.strip() == (
            "{'timeout': 2.5, 'init_command': 'PRAGMA journal_mode=WAL;', "
            "'transaction_mode': 'IMMEDIATE'}"
        )

    def test_redis_gets_short_socket_timeouts_and_the_breaker(self):
        result = settings_of("s.CACHES['default']", REDIS_URL="redis://cache.internal:6379/0")

        assert "'BACKEND': 'meds_site.cache.GuardedRedisCache'" in result.stdout
        assert "'OPTIONS': {'socket_connect_timeout': 0.2, 'socket_timeout': 0.2}" in result.stdout

    @pytest.mark.parametrize(
        ("name", "raw"),
        [
            ("DB_CONNECT_TIMEOUT", "1"),
            ("DB_CONNECT_TIMEOUT", "2s"),
            ("DB_STATEMENT_TIMEOUT", "-1"),
            ("DB_STATEMENT_TIMEOUT", "nan"),
            ("DB_SQLITE_BUSY_TIMEOUT", "soon"),
            ("REDIS_SOCKET_TIMEOUT", "0"),
            ("REDIS_CONNECT_TIMEOUT", "inf"),
            ("CACHE_BREAKER_SECONDS", "ten"),
            ("HEALTH_CHECK_TIMEOUT", "-0.5"),
            ("DB_READ_TIMEOUT", "5"),
        ],
    )
    def test_a_bad_value_stops_start_up_naming_the_variable(self, name, raw):
        result = settings_of("s.DEBUG", **{name: raw})

        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert f"{name}={raw!r}" in result.stderr
