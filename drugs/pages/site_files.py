"""The files every site is asked for at its root: robots.txt (the sitemap is django.contrib.sitemaps)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=3600, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        # Editors' pages and per-visitor pages say nothing to a search engine.
        f"Disallow: /{settings.ADMIN_PATH}",
        "Disallow: /search/",
        "Disallow: /feedback/",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
