"""The /healthz check that load balancers poll."""

import contextlib
import logging
import threading
import time

import pytest
from django.db import OperationalError, connections
from django.urls import reverse

from meds_site import health, outage


@pytest.fixture(autouse=True)
def no_check_left_running():
    # Module state: a check still running from an earlier test would answer for this one.
    with contextlib.suppress(Exception):
        if health._running is not None:
            health._running.result(timeout=5)
    health._running = None
    outage.log_throttle.kinds.clear()
    yield
    with contextlib.suppress(Exception):
        if health._running is not None:
            health._running.result(timeout=5)


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


@pytest.mark.django_db
class TestHealthCheck:
    def test_it_reports_a_database_that_answers(self, client, django_assert_num_queries):
        # The check runs on a connection of its own, never the request's.
        with django_assert_num_queries(0):
            response = client.get(reverse("healthz"))

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}
        assert "no-cache" in response["Cache-Control"]

    def test_it_reports_a_database_that_does_not_answer(self, client, monkeypatch, caplog):
        def refuse(self):
            raise OperationalError("connection refused")

        monkeypatch.setattr(type(connections["default"]), "ensure_connection", refuse)
        with caplog.at_level(logging.INFO):
            responses = [client.get(reverse("healthz")) for _ in range(5)]

        assert {r.status_code for r in responses} == {503}
        assert responses[0].json()["database"] == "unavailable"
        lines = [r for r in caplog.records if r.name == "meds_site.outage"]
        assert [r.getMessage() for r in lines] == [
            "database unavailable: OperationalError: connection refused (health check)"
        ]
        assert [r for r in caplog.records if r.name == "django.request"] == []

    def test_it_answers_503_within_a_second_when_the_database_hangs(self, client, monkeypatch):
        release = threading.Event()

        def hang(self):
            release.wait(timeout=10)
            raise OperationalError("server closed the connection")

        monkeypatch.setattr(type(connections["default"]), "ensure_connection", hang)
        try:
            first, took_first = timed_get(client, reverse("healthz"))
            # Still stuck: the next poll waits on the same check, not behind it.
            second, took_second = timed_get(client, reverse("healthz"))
        finally:
            release.set()

        assert (first.status_code, second.status_code) == (503, 503)
        assert took_first < 1
        assert took_second < 1

    def test_it_reports_healthy_again_when_the_database_recovers(self, client, monkeypatch):
        def refuse(self):
            raise OperationalError("connection refused")

        with monkeypatch.context() as patch:
            patch.setattr(type(connections["default"]), "ensure_connection", refuse)
            assert client.get(reverse("healthz")).status_code == 503

        assert client.get(reverse("healthz")).status_code == 200

    def test_it_answers_over_plain_http_when_pages_redirect_to_https(self, client, settings):
        settings.SECURE_SSL_REDIRECT = True

        assert client.get(reverse("drugs:home")).status_code == 301
        assert client.get(reverse("healthz")).status_code == 200
