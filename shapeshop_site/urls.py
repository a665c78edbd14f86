"""URL routes of the whole site: each app's pages, the JSON API under /api/v1/, the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("shapeshop_site.api_urls")),
    path("", include("studies.page_urls")),
    path("", include("accounts.urls")),
    path("", include("history.urls")),
    path("", include("experiments.urls")),
]

# A route that matches nothing under /api/ answers JSON like the API's own 404s.
handler404 = "shapeshop_site.views.not_found"
