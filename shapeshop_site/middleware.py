"""Site-wide request handling: the Content-Security-Policy header, a clear 503 while the
database is away, and a clear 413 for a body over the limit, refused before it is read. The
pages are templates under ``templates/errors/``, rendered without a request, so they need no
database."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

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


# Routes that take a picture upload (multipart, field "image"): their bodies may be as large
# as the largest picture accepted (drawing.imaging.MAX_UPLOAD_BYTES) plus this much for the
# multipart framing and the form's other fields. Every other body is held to
# DATA_UPLOAD_MAX_MEMORY_SIZE, files included.
UPLOAD_ROUTES = frozenset({"api:class-list", "api:class-convert"})
UPLOAD_MARGIN_BYTES = 64 * 1024


class BodyTooLarge(RequestDataTooBig):
    """A body, or the files in it, over the request's limit (``body_limit``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the {limit // 1024} kB allowed.")
        self.limit = limit


def body_limit(request: HttpRequest) -> int:
    """The largest body, in bytes, this request may carry (see ``UPLOAD_ROUTES``)."""
    ordinary = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if request.content_type != "multipart/form-data":
        return ordinary
    try:
        route = resolve(request.path_info, getattr(request, "urlconf", None)).view_name
    except Resolver404:
        return ordinary
    if route not in UPLOAD_ROUTES:
        return ordinary
    from drawing.imaging import MAX_UPLOAD_BYTES

    return max(ordinary, MAX_UPLOAD_BYTES + UPLOAD_MARGIN_BYTES)


def declared_length(request: HttpRequest) -> int | None:
    """The body's Content-Length, or None when there is none (or it is not a number): Django
    then reads no body at all, chunked or not."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class RequestTooLargeMiddleware:
    """Answers 413 with a sentence (JSON under /api/) for a body over the request's limit.

    The body's declared length is checked before anything reads it: a 200 MB multipart body
    sent to the sign-in page is refused at once, never written to a temporary file first.
    What is read is bounded twice more: Django reads no more than the declared length, and
    ``BoundedUploadHandler`` stops at the limit while files come in. Django's own
    RequestDataTooBig (form fields over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields) would be
    a bare 400 page that does not tell an API client what to change: it is a 413 here too.
    Placed before every middleware that may read the body (sessions, CSRF, the lock-out).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = declared_length(request)
        if length is not None and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = body_limit(request)
            if length > limit:
                return _too_large(request, limit)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RequestDataTooBig):
            return None
        limit = getattr(exception, "limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return _too_large(request, limit)


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"The request body is larger than the {limit // 1024} kB this server accepts."
    if wants_json(request):
        return JsonResponse({"detail": message}, status=413)
    return _page("errors/413.html", message, status=413)


class BoundedUploadHandler(FileUploadHandler):
    """The only upload handler (FILE_UPLOAD_HANDLERS): each uploaded file is kept in memory,
    never in a temporary file, and reading stops with a 413 as soon as the request's files
    together pass its ``body_limit``, so no request holds more than that in memory."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> None:
        self.limit = body_limit(self.request) if self.request is not None else 0
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise BodyTooLarge(self.limit)
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
