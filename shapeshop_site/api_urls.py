"""The JSON API, mounted at /api/v1/: every app's routes in one ``api`` namespace, so the
schema and the interactive docs see them together."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api_urls import urlpatterns as accounts_api
from drawing.api_urls import urlpatterns as drawing_api
from experiments.api.urls import urlpatterns as experiments_api
from history.api_urls import urlpatterns as history_api
from studies.urls import urlpatterns as studies_api

app_name = "api"

urlpatterns = [
    *accounts_api,
    *experiments_api,
    *drawing_api,
    *history_api,
    *studies_api,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Interactive docs from our own static files (drf-spectacular-sidecar): they work offline,
    # and the split view keeps every script in a file, as the Content-Security-Policy requires.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
