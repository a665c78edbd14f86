"""Sign-in lock-out for the sign-in page, the admin's sign-in and the token endpoint alike.

django-axes does the work (settings ``AXES_*``): its authentication backend, first in
AUTHENTICATION_BACKENDS, refuses a locked-out username before its password is checked; its
signal handlers record each failure in the database, so that every web server process (and
every machine) sees one count; AxesMiddleware turns a refused attempt into the 429 built by
``lockout_response``. This module holds what axes calls back: the limits and the client's
address read from the site's settings, the username as authentication reads it, the 429, and
the handler below with the one rule axes cannot express.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessFailureLog
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from shapeshop_site.middleware import wants_json


@dataclass(frozen=True)
class Lock:
    """Why an attempt was refused, and for how long (the Retry-After header)."""

    reason: str
    seconds: int

    def message(self) -> str:
        minutes = max(1, round(self.seconds / 60))
        return f"{self.reason} Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def client_address(request: Any) -> str:
    """AXES_CLIENT_IP_CALLABLE: the client's address exactly as the API's rate limits count
    it: REMOTE_ADDR, or behind TRUSTED_PROXIES proxies of the site's own (DRF's NUM_PROXIES),
    the address the outermost of them saw. A forwarded-for header is otherwise ignored: a
    client can write anything there."""
    return str(BaseThrottle().get_ident(request) or "")


def username_of(request: Any, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the username authentication was given (the sign-in form and the
    token endpoint's serializer have already made it a string), compared without case or
    surrounding spaces, so that "Alice" and "alice " count as "alice"."""
    if credentials is not None:
        username = credentials.get("username")
    else:
        username = getattr(request, "POST", {}).get("username")
    return str(username or "").strip().lower()


def failure_limit(request: Any, credentials: dict[str, Any] | None) -> int:
    """AXES_FAILURE_LIMIT: failures of one username from one address before the lock."""
    return int(settings.LOGIN_FAILURE_LIMIT)


def lockout_period(request: Any) -> timedelta:
    """AXES_COOLOFF_TIME: how long that lock (and each failure's count) lasts."""
    return timedelta(seconds=settings.LOGIN_LOCKOUT)


def address_lock() -> Lock:
    return Lock(
        "Too many failed sign-ins for this username from your address.", settings.LOGIN_LOCKOUT
    )


def account_lock() -> Lock:
    return Lock("Too many failed sign-ins for this username.", settings.LOGIN_ACCOUNT_WINDOW)


def account_is_locked(username: str) -> bool:
    """The ceiling per username from any address: LOGIN_ACCOUNT_FAILURE_LIMIT failures within
    LOGIN_ACCOUNT_WINDOW seconds lock the username until that long after the last of them.

    Counted on axes' failure log (one row per failure, AXES_ENABLE_ACCESS_FAILURE_LOG): a
    refused attempt writes no row, so the lock ends a window after the last real failure."""
    window = timedelta(seconds=settings.LOGIN_ACCOUNT_WINDOW)
    failures = AccessFailureLog.objects.filter(username=username)
    recent = failures.filter(attempt_time__gt=timezone.now() - window)
    last = recent.aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return False
    in_window = failures.filter(attempt_time__gt=last - window, attempt_time__lte=last)
    return in_window.count() >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT


class SignInLockoutHandler(AxesDatabaseHandler):
    """axes' database handler (AXES_HANDLER) plus the ceiling per username.

    axes counts failures per set of lockout parameters and holds one failure limit for them
    all (AXES_FAILURE_LIMIT is called without knowing which set it is for). The site has two
    rules with two limits and two windows: LOGIN_FAILURE_LIMIT per username and address (axes
    itself, AXES_LOCKOUT_PARAMETERS) and LOGIN_ACCOUNT_FAILURE_LIMIT per username from any
    address (``account_is_locked``, on axes' own failure records). ``is_locked`` checks both
    and notes on the request which one refused it, for the 429's message.
    """

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        lock = None
        if super().is_locked(request, credentials):
            lock = address_lock()
        elif account_is_locked(get_client_username(request, credentials)):
            lock = account_lock()
        if lock is not None:
            request.sign_in_lock = lock
        return lock is not None

    def remove_out_of_limit_failure_logs(self, *, username: str, limit: int | None = None) -> int:
        """Keeps the newest AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT failure rows of a username
        (never fewer than the ceiling counts) and deletes the older ones.

        axes 8.3.1's own version slices a query ordered newest first, so past the limit it
        deletes each new row at once: the ceiling per username would stop seeing failures."""
        keep = max(
            settings.AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT, settings.LOGIN_ACCOUNT_FAILURE_LIMIT
        )
        rows = AccessFailureLog.objects.filter(username=username)
        older = list(rows.order_by("-attempt_time", "-pk").values_list("pk", flat=True)[keep:])
        if not older:
            return 0
        count, _ = AccessFailureLog.objects.filter(pk__in=older).delete()
        return count


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse | None:
    """AXES_LOCKOUT_CALLABLE: the answer to an attempt axes flagged as locked out.

    axes also flags the failure that reaches the limit. That attempt's password was checked
    and was wrong, so it keeps its own answer (the form again, a 400 from the API) and the
    lock starts with the next attempt; only an attempt refused by ``is_locked`` (which notes
    its reason on the request) is answered 429, with Retry-After, as JSON under /api/ and as
    the page templates/errors/429_sign_in.html elsewhere."""
    lock: Lock | None = getattr(request, "sign_in_lock", None)
    if lock is None:
        return original_response
    if wants_json(request):
        response: HttpResponse = JsonResponse({"detail": lock.message()}, status=429)
    else:
        html = render_to_string("errors/429_sign_in.html", {"message": lock.message()})
        response = HttpResponse(html, status=429, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(lock.seconds)
    return response


def sign_in_succeeded(request: HttpRequest, username: str) -> None:
    """Clears the username's failures from this address, as AXES_RESET_ON_SUCCESS does when a
    session signs in: for the token endpoint, which signs no session in (so sends no
    ``user_logged_in``) but is a sign-in all the same."""
    AxesProxyHandler.update_request(request)
    SignInLockoutHandler().reset_user_attempts(request, {"username": username})
