"""The files every site is asked for: favicon, robots.txt, sitemap.xml, and SITE_URL behind them."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from meds_site.settings import site_url
from tests.factories import DrugFactory, DrugSideEffectFactory


class TestSiteUrl:
    def test_it_keeps_scheme_and_host_only(self):
        assert site_url("https://meds.example.org/", False, []) == "https://meds.example.org"

    @pytest.mark.parametrize(
        "raw", ["meds.example.org", "ftp://meds.example.org", "https://", "https://x.org/guide"]
    )
    def test_it_refuses_anything_but_an_address(self, raw):
        with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
            site_url(raw, True, [])

    def test_production_needs_https(self):
        with pytest.raises(ImproperlyConfigured, match="https"):
            site_url("http://meds.example.org", False, [])
        assert site_url("http://127.0.0.1:8000", True, []) == "http://127.0.0.1:8000"

    def test_unset_it_comes_from_the_first_allowed_host_in_production(self):
        assert site_url(None, False, [".example.org", "meds.example.org"]) == (
            "https://meds.example.org"
        )
        with pytest.raises(ImproperlyConfigured, match="must be set"):
            site_url("", False, [])


@pytest.mark.django_db
class TestRootFiles:
    def test_the_favicon_is_an_icon(self, client):
        response = client.get("/favicon.ico")
        assert response.status_code == 200
        assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
        assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"

    def test_robots_names_the_sitemap_at_the_site_url(self, client, settings):
        settings.SITE_URL = "https://meds.example.org"
        response = client.get(reverse("robots"))
        text = response.content.decode()
        assert response["Content-Type"].startswith("text/plain")
        assert "Sitemap: https://meds.example.org/sitemap.xml" in text.splitlines()
        assert f"Disallow: /{settings.ADMIN_PATH}" in text

    def test_the_sitemap_lists_published_pages_only_at_the_site_url(
        self, client, settings, django_assert_max_num_queries
    ):
        settings.SITE_URL = "https://meds.example.org"
        live = DrugFactory(slug="liveamide")
        DrugSideEffectFactory(drug=live)
        DrugFactory(slug="draftamide", status="draft")
        with django_assert_max_num_queries(12):
            response = client.get(reverse("sitemap"))
        xml = response.content.decode()
        assert "https://meds.example.org" + live.get_absolute_url() in xml
        assert "https://meds.example.org" + reverse("drugs:guide", args=[live.slug]) in xml
        side_effects = reverse("drugs:part", args=[live.slug, "side-effects"])
        assert "https://meds.example.org" + side_effects in xml
        assert "https://meds.example.org" + reverse("drugs:glossary") in xml
        assert "https://meds.example.org" + live.side_effects.get().effect.get_absolute_url() in xml
        assert "draftamide" not in xml
        assert "testserver" not in xml
