"""The /healthz check that load balancers poll."""

import pytest
from django.db import OperationalError
from django.urls import reverse


@pytest.mark.django_db
class TestHealthCheck:
    def test_it_reports_a_database_that_answers(self, client, django_assert_num_queries):
        with django_assert_num_queries(1):
            response = client.get(reverse("healthz"))

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}
        assert "no-cache" in response["Cache-Control"]

    def test_it_reports_a_database_that_does_not_answer(self, client, monkeypatch):
        def refuse(*args, **kwargs):
            raise OperationalError("connection refused")

        monkeypatch.setattr("meds_site.health.connection.cursor", refuse)

        response = client.get(reverse("healthz"))

        assert response.status_code == 503
        assert response.json()["database"] == "unavailable"

    def test_it_answers_over_plain_http_when_pages_redirect_to_https(self, client, settings):
        settings.SECURE_SSL_REDIRECT = True

        assert client.get(reverse("drugs:home")).status_code == 301
        assert client.get(reverse("healthz")).status_code == 200
