"""sitemap.xml: every published page, at the configured SITE_URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from drugs.models import Drug, SideEffect


class SiteSitemap(Sitemap):
    """Addresses from SITE_URL, never from the Host header of whoever asked."""

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme


class PageSitemap(SiteSitemap):
    """The pages that are not about one drug or one side effect."""

    def items(self):
        return [
            "drugs:home",
            "drugs:list",
            "drugs:side_effects",
            "drugs:glossary",
            "drugs:accessibility",
        ]

    def location(self, item):
        return reverse(item)


class DrugSitemap(SiteSitemap):
    """Every page of every published drug."""

    def items(self):
        return [
            (drug, url)
            for drug in Drug.objects.published().order_by("slug")
            for url in drug_urls(drug)
        ]

    def location(self, item):
        return item[1]

    def lastmod(self, item):
        return item[0].updated_at


def drug_urls(drug: Drug) -> list[str]:
    """The drug's public pages: its guide, and each part once the guide is split into parts."""
    return [drug.get_absolute_url()]


class SideEffectSitemap(SiteSitemap):
    def items(self):
        return SideEffect.objects.published().order_by("slug")


SITEMAPS = {"pages": PageSitemap, "drugs": DrugSitemap, "side-effects": SideEffectSitemap}
