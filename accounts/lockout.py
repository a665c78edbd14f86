"""Sign-in lock-out for the sign-in pages and the token endpoint alike."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from rest_framework.throttling import BaseThrottle

from shapeshop_site.middleware import wants_json

GetResponse = Callable[[HttpRequest], HttpResponse]


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


def on_login_failed(
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

    Failures are counted from Django's ``user_login_failed`` signal (connected in
    ``AccountsConfig.ready``), which the sign-in page,
    the admin's sign-in page and the token endpoint all send (they all call
    ``authenticate``). While locked, a sign-in attempt is answered 429 before the password is
    even checked; a success clears that address's count. The counts live in the cache: give
    several web servers one shared cache.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

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
            wants_json(request) and response.status_code == 200
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
        if wants_json(request):
            response: HttpResponse = JsonResponse({"detail": message}, status=429)
        else:
            html = render_to_string("errors/429_sign_in.html", {"message": message})
            response = HttpResponse(html, status=429, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(seconds)
        return response
