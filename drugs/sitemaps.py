"""sitemap.xml: every published page, at the configured SITE_URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from drugs.models import Drug, SideEffect
from drugs.pages.anchors import WHOLE_GUIDE, part_url
from drugs.pages.drug import guide_parts


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
        drugs = Drug.objects.published().with_monograph().order_by("slug")
        return [(drug, url) for drug in drugs for url in drug_urls(drug)]

    def location(self, item):
        return item[1]

    def lastmod(self, item):
        return item[0].updated_at


def drug_urls(drug: Drug) -> list[str]:
    """The drug's public pages (loaded with_monograph()): the overview, each part it has
    content for, and the whole guide."""
    return [part.url for part in guide_parts(drug)] + [part_url(drug.slug, WHOLE_GUIDE)]


class SideEffectSitemap(SiteSitemap):
    def items(self):
        return SideEffect.objects.published().order_by("slug")


SITEMAPS = {"pages": PageSitemap, "drugs": DrugSitemap, "side-effects": SideEffectSitemap}
