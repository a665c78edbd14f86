"""The JSON API, mounted at /api/v1/: every app's routes in one ``api`` namespace, so the
schema and the interactive docs see them together, and a root that links to them."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.api_urls import urlpatterns as accounts_api
from drawing.api_urls import urlpatterns as drawing_api
from experiments.api.urls import urlpatterns as experiments_api
from history.api_urls import urlpatterns as history_api
from inspector.api_urls import urlpatterns as inspector_api
from studies.urls import urlpatterns as studies_api
from sweeps.api_urls import urlpatterns as sweeps_api

app_name = "api"

# What the root links to: every list of the API, the schema and the docs (URL names).
ROOT_LINKS = {
    "experiments": "api:experiment-list",
    "catalogue": "api:catalogue",
    "architectures": "api:architectures",
    "classes": "api:class-list",
    "highlights": "api:highlight-list",
    "history": "api:history",
    "comparisons": "api:comparison-list",
    "scenarios": "api:scenario-list",
    "studies": "api:study-list",
    "sweeps": "api:sweep-list",
    "schema": "api:schema",
    "docs": "api:docs",
}


class ApiRootView(APIView):
    """Where everything is: a link to each list of the API, to its schema and to its docs.
    Public, like the schema: it holds no user data."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=OpenApiResponse(
            response={
                "type": "object",
                "additionalProperties": {"type": "string", "format": "uri"},
            },
            description="Each name with the absolute URL of its endpoint",
        )
    )
    def get(self, request: Request) -> Response:
        return Response({name: reverse(url, request=request) for name, url in ROOT_LINKS.items()})


urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    *accounts_api,
    *experiments_api,
    *inspector_api,
    *drawing_api,
    *history_api,
    *studies_api,
    *sweeps_api,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Interactive docs from our own static files (drf-spectacular-sidecar): they work offline,
    # and the split view keeps every script in a file, as the Content-Security-Policy requires.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
