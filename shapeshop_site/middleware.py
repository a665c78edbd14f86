"""Site-wide request handling: the Content-Security-Policy header, a clear 503 while the
database is away and a clear 413 for a body over the limit. The pages are templates under
``templates/errors/``, rendered without a request, so they need no database."""

from __future__ import annotations

import logging
from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

GetResponse = Callable[[HttpRequest], HttpResponse]

UNAVAILABLE_RETRY_AFTER_S = 10
UNAVAILABLE_MESSAGE = (
    "The database is unavailable for a moment, so nothing was changed. "
    "Please try again in a few seconds."
)


# Swagger UI and Redoc (third-party pages that show no user data) insert their own styles.
API_DOCS_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _page(template: str, message: str, *, status: int) -> HttpResponse:
    """A short standalone page; rendered without the request, so no context processor (and
    no database query) runs while the site is in trouble."""
    html = render_to_string(template, {"message": message})
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware: the policy of settings.CONTENT_SECURITY_POLICY on every
    response, and settings.CONTENT_SECURITY_POLICY_API_DOCS instead on the API's docs pages.

    The docs pages are drf-spectacular's views, so a path test here (django-csp's documented
    way to extend it) replaces their policy rather than a decorator in their URL routes.
    Django's own SecurityMiddleware and XFrameOptionsMiddleware add nosniff, the referrer
    policy, the opener policy and X-Frame-Options.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and request.path.startswith(API_DOCS_PATHS):
            parts.config = settings.CONTENT_SECURITY_POLICY_API_DOCS.get("DIRECTIVES", {})
        return parts


# SQLite reports a missing table or a bad query as OperationalError too: those are bugs or
# missing migrations, not an outage, and stay a 500 that gets looked at.
_SCHEMA_ERRORS = ("no such table", "no such column", "near ", "table ", "duplicate column")


def _is_outage(exception: Exception) -> bool:
    if isinstance(exception, InterfaceError):
        return True
    if not isinstance(exception, OperationalError):
        return False
    return not str(exception).lower().startswith(_SCHEMA_ERRORS)


class DatabaseUnavailableMiddleware:
    """Answers 503 (JSON under /api/, a short page otherwise) when the database is away.

    A query that fails because the server is down, restarting or unreachable raises
    OperationalError or InterfaceError; without this it would be a 500 that looks like a bug.
    Django drops the broken connection at the end of the request, so the next request
    connects afresh once the database is back.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_outage(exception):
            return None
        logger.error(
            "Database unavailable during %s %s: %s", request.method, request.path, exception
        )
        if wants_json(request):
            response: HttpResponse = JsonResponse({"detail": UNAVAILABLE_MESSAGE}, status=503)
        else:
            response = _page("errors/503.html", UNAVAILABLE_MESSAGE, status=503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_S)
        response["Cache-Control"] = "no-store"
        return response


class RequestTooLargeMiddleware:
    """Answers 413 with a sentence (JSON under /api/) for a body over the configured limit.

    Django raises RequestDataTooBig past DATA_UPLOAD_MAX_MEMORY_SIZE and would answer a bare
    400 page, which does not tell an API client what to change.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RequestDataTooBig):
            return None
        limit_kb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        message = f"The request body is larger than the {limit_kb} kB this server accepts."
        if wants_json(request):
            return JsonResponse({"detail": message}, status=413)
        return _page("errors/413.html", message, status=413)
