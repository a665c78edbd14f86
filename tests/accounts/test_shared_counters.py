"""Rate-limit counters are shared by every web server process, and production refuses a cache
that would keep them in one process's memory (shapeshop_site/checks.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client

from shapeshop_site.checks import counters_are_shared
from tests.conftest import run_in_another_process

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def ask_for_a_token(client: Client, username: str) -> Any:
    body = json.dumps({"username": username, "password": "not-the-password"})
    return client.post(
        "/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR="10.8.8.8"
    )


@pytest.mark.django_db(transaction=True)
def test_two_processes_count_one_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests made by a separate Python process on the same database use up the token
    endpoint's rate limit here too: the default cache is shared, with no CACHE_URL."""
    from rest_framework.throttling import ScopedRateThrottle

    make_three_requests = (
        "import json\n"
        "from django.test import Client\n"
        "for n in range(3):\n"
        "    body = json.dumps({'username': f'nobody{n}', 'password': 'not-the-password'})\n"
        "    response = Client().post('/api/v1/auth/token/', body,\n"
        "        content_type='application/json', REMOTE_ADDR='10.8.8.8')\n"
        "    print(response.status_code)\n"
    )
    # Wrong passwords, not yet limited:
    printed = run_in_another_process(make_three_requests, TOKEN_RATE="3/minute")
    assert printed == ["400", "400", "400"]

    rates = {**ScopedRateThrottle.THROTTLE_RATES, "token": "3/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    refused = ask_for_a_token(Client(), "nobody9")
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    # Another address has its own count.
    other = Client().post(
        "/api/v1/auth/token/",
        json.dumps({"username": "nobody9", "password": "x"}),
        content_type="application/json",
        REMOTE_ADDR="10.8.8.9",
    )
    assert other.status_code == 400


@pytest.mark.django_db
def test_the_default_cache_is_a_table_of_the_database() -> None:
    """`migrate` made the table (the accounts app's migration): the cache works with nothing
    more, and what it holds is a row there."""
    cache.set("shapeshop-test-key", 7, 60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM shapeshop_cache")
        assert cursor.fetchone()[0] == 1
    assert cache.get("shapeshop-test-key") == 7


def test_production_refuses_a_cache_in_each_process_memory(settings: Any) -> None:
    settings.DEBUG = False
    settings.CACHES = LOCAL_MEMORY
    errors = counters_are_shared()
    assert [error.id for error in errors] == ["shapeshop.E001"]
    assert "the API's rate limits" in errors[0].msg and "CACHE_URL" in errors[0].hint
    with pytest.raises(SystemCheckError, match=r"shapeshop\.E001"):
        call_command("check")

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert [error.id for error in counters_are_shared()] == ["shapeshop.E001"]


def test_the_check_names_every_per_process_cache_that_holds_counters(settings: Any) -> None:
    settings.DEBUG = False
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t"},
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert counters_are_shared() == []
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "local"
    errors = counters_are_shared()
    assert len(errors) == 1 and "the sessions" in errors[0].msg


def test_a_shared_cache_or_development_mode_passes(settings: Any) -> None:
    settings.DEBUG = False
    assert counters_are_shared() == []  # the default: DatabaseCache
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "x"}
    }
    assert counters_are_shared() == []
    settings.DEBUG = True
    settings.CACHES = LOCAL_MEMORY
    assert counters_are_shared() == []
