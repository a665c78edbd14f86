"""System checks of the site's own (``manage.py check``, and every command that runs checks).

Counters that limit what a client may do (the API's rate limits, and the sign-in lock-out or
the sessions where they are configured to use a cache) must be shared by every web server
process. A cache held in one process's memory is not: behind gunicorn each process would count
alone, and a process recycled after its quota of requests would forget every count. So in
production (DEBUG false) such a cache is an error, which stops ``migrate``, ``runserver`` and
``check --deploy`` with its reason.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string

PER_PROCESS_CACHES = (LocMemCache, DummyCache)
CACHE_SESSION_ENGINES = (
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
)


def _counter_caches() -> dict[str, str]:
    """The cache aliases that hold counters or sessions, each with what it holds."""
    from axes.handlers.cache import AxesCacheHandler

    users = {"default": "the API's rate limits"}
    handler = import_string(settings.AXES_HANDLER)
    if issubclass(handler, AxesCacheHandler):
        alias = getattr(settings, "AXES_CACHE", "default")
        users[alias] = ", ".join(filter(None, [users.get(alias), "the sign-in lock-out"]))
    if settings.SESSION_ENGINE in CACHE_SESSION_ENGINES:
        alias = settings.SESSION_CACHE_ALIAS
        users[alias] = ", ".join(filter(None, [users.get(alias), "the sessions"]))
    return users


def counters_are_shared(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """shapeshop.E001: in production, no counter lives in one process's memory."""
    if settings.DEBUG:
        return []
    errors: list[CheckMessage] = []
    for alias, holds in _counter_caches().items():
        backend = caches[alias]
        if isinstance(backend, PER_PROCESS_CACHES):
            errors.append(
                Error(
                    f"The cache {alias!r} ({type(backend).__name__}) lives in each process's "
                    f"memory, yet it holds {holds}: every web server process would count "
                    "alone and forget its counts when it is recycled.",
                    hint=(
                        "Leave CACHE_URL unset to keep the cache in the database "
                        "(DatabaseCache), or set CACHE_URL=redis://... to share a Redis server."
                    ),
                    id="shapeshop.E001",
                )
            )
    return errors
