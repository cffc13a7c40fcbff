from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from drugs.admin import views as admin_views
from meds_site import health

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    # markdownx's live preview, staff only; its image upload view is deliberately not mounted.
    path("markdownx/markdownify/", admin_views.markdown_preview, name="markdownx_markdownify"),
    path("healthz", health.healthz, name="healthz"),
    path("", include("drugs.urls")),
]

if settings.BENCH_BASELINE:
    urlpatterns.insert(0, path("bench/baseline/", health.bench_baseline, name="bench-baseline"))

handler404 = "meds_site.errors.page_not_found"
handler500 = "meds_site.errors.server_error"
