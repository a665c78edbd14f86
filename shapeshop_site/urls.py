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
    path("", include("sweeps.urls")),
    path("", include("inspector.urls")),
    path("", include("experiments.urls")),
]

# Under /api/ every error answers JSON like the API's own; pages elsewhere.
handler400 = "shapeshop_site.views.bad_request"
handler403 = "shapeshop_site.views.permission_denied"
handler404 = "shapeshop_site.views.not_found"
handler500 = "shapeshop_site.views.server_error"
