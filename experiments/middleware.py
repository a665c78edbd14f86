"""Site-wide request handling: security headers, a clear 503 while the database is away,
and sign-in throttling for the sign-in page and the token endpoint alike."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import escape
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

GetResponse = Callable[[HttpRequest], HttpResponse]

UNAVAILABLE_RETRY_AFTER_S = 10
UNAVAILABLE_MESSAGE = (
    "The database is unavailable for a moment, so nothing was changed. "
    "Please try again in a few seconds."
)
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ShapeShop is briefly unavailable</title>
</head><body><main><h1>ShapeShop is briefly unavailable</h1><p>{message}</p>
<p><a href="">Try again</a></p></main></body></html>
"""


# Swagger UI and Redoc (third-party pages that show no user data) insert their own styles.
API_DOCS_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy header (settings.CONTENT_SECURITY_POLICY).

    Django's own SecurityMiddleware and XFrameOptionsMiddleware add nosniff, the referrer
    policy, the opener policy and X-Frame-Options; Django 5.2 has no CSP of its own.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if request.path.startswith(API_DOCS_PATHS):
            policy = getattr(settings, "CONTENT_SECURITY_POLICY_API_DOCS", policy)
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


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
        if _wants_json(request):
            response: HttpResponse = JsonResponse({"detail": UNAVAILABLE_MESSAGE}, status=503)
        else:
            page = UNAVAILABLE_PAGE.format(message=escape(UNAVAILABLE_MESSAGE))
            response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
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
        if _wants_json(request):
            return JsonResponse({"detail": message}, status=413)
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Request too large</title></head><body><main><h1>Request too large</h1>"
            f"<p>{escape(message)}</p></main></body></html>"
        )
        return HttpResponse(page, status=413, content_type="text/html; charset=utf-8")


def _client_address(request: Any) -> str:
    """The client's address exactly as the API's rate limits count it: REMOTE_ADDR, or behind
    TRUSTED_PROXIES proxies of the site's own (DRF's NUM_PROXIES), the address the outermost
    of them saw. A forwarded-for header is otherwise ignored: a client can write anything."""
    return str(BaseThrottle().get_ident(request) or "")


def failure_key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def account_failure_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return f"login-failures-account:{digest}"


def _count(key: str, *, limit: int, timeout: int) -> int:
    """Adds one failure to ``key``; once at ``limit`` the count lives ``timeout`` seconds
    from the last failure, not from the first."""
    cache.add(key, 0, timeout=timeout)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        count = 1
    if count >= limit:
        cache.set(key, count, timeout=timeout)
    return count


def record_failure(username: str, address: str) -> int:
    """Counts one failed sign-in for the username and address (for LOGIN_LOCKOUT seconds) and
    for the username alone (for LOGIN_ACCOUNT_WINDOW seconds); returns the first count."""
    _count(
        account_failure_key(username),
        limit=settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
        timeout=settings.LOGIN_ACCOUNT_WINDOW,
    )
    return _count(
        failure_key(username, address),
        limit=settings.LOGIN_FAILURE_LIMIT,
        timeout=settings.LOGIN_LOCKOUT,
    )


def is_locked(username: str, address: str) -> bool:
    return int(cache.get(failure_key(username, address), 0)) >= settings.LOGIN_FAILURE_LIMIT


def is_account_locked(username: str) -> bool:
    count = int(cache.get(account_failure_key(username), 0))
    return count >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any
) -> None:
    if request is None:
        return
    username = str(credentials.get("username") or "")
    if username:
        record_failure(username, _client_address(request))


class LoginThrottleMiddleware:
    """Locks a username for one client address after LOGIN_FAILURE_LIMIT failed sign-ins,
    and for every address after LOGIN_ACCOUNT_FAILURE_LIMIT (guesses from many addresses).

    Failures are counted from Django's ``user_login_failed`` signal, which the sign-in page,
    the admin's sign-in page and the token endpoint all send (they all call
    ``authenticate``). While locked, a sign-in attempt is answered 429 before the password is
    even checked; a success clears that address's count. The counts live in the cache: give
    several web servers one shared cache.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        user_login_failed.connect(_on_login_failed, dispatch_uid="shapeshop-login-throttle")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path not in self._paths():
            return self.get_response(request)
        username = self._username(request)
        address = _client_address(request)
        if username and is_locked(username, address):
            return self._locked(
                request,
                "Too many failed sign-ins for this username from your address.",
                settings.LOGIN_LOCKOUT,
            )
        if username and is_account_locked(username):
            return self._locked(
                request,
                "Too many failed sign-ins for this username.",
                settings.LOGIN_ACCOUNT_WINDOW,
            )
        response = self.get_response(request)
        succeeded = response.status_code == 302 or (
            _wants_json(request) and response.status_code == 200
        )
        if username and succeeded:
            cache.delete(failure_key(username, address))
        return response

    @staticmethod
    def _paths() -> set[str]:
        return {reverse("login"), reverse("admin:login"), reverse("api:token")}

    @staticmethod
    def _username(request: HttpRequest) -> str:
        try:
            if request.content_type == "application/json":
                try:
                    body = json.loads(request.body or b"{}")
                except ValueError:
                    return ""
                value = body.get("username") if isinstance(body, dict) else None
                return value if isinstance(value, str) else ""
            return str(request.POST.get("username", ""))
        except RequestDataTooBig:
            return ""  # the view meets the same error, and RequestTooLargeMiddleware answers

    @staticmethod
    def _locked(request: HttpRequest, reason: str, seconds: int) -> HttpResponse:
        minutes = max(1, round(seconds / 60))
        message = f"{reason} Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        if _wants_json(request):
            response: HttpResponse = JsonResponse({"detail": message}, status=429)
        else:
            page = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>Too many sign-in attempts</title></head><body><main>"
                f"<h1>Too many sign-in attempts</h1><p>{escape(message)}</p></main></body></html>"
            )
            response = HttpResponse(page, status=429, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(seconds)
        return response
