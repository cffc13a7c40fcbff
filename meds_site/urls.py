from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import cache_control

from drugs.admin import views as admin_views
from drugs.pages import site_files
from drugs.sitemaps import SITEMAPS
from meds_site import health

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    # markdownx's live preview, staff only; its image upload view is deliberately not mounted.
    path("markdownx/markdownify/", admin_views.markdown_preview, name="markdownx_markdownify"),
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", site_files.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        cache_control(max_age=3600, public=True)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("", include("drugs.urls")),
]

if settings.BENCH_BASELINE:
    urlpatterns.insert(0, path("bench/baseline/", health.bench_baseline, name="bench-baseline"))

handler404 = "meds_site.errors.page_not_found"
handler500 = "meds_site.errors.server_error"
