"""URL routes of the whole site."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("experiments.api.urls")),
    path("", include("studies.page_urls")),
    path("", include("experiments.urls")),
]

# A route that matches nothing under /api/ answers JSON like the API's own 404s.
handler404 = "experiments.api.extra.not_found"
