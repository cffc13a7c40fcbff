from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("drugs.urls")),
]

handler404 = "drugs.views.page_not_found"
handler500 = "drugs.views.server_error"
