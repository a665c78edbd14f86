"""Shared fixtures: two users (alice and bob), fast and isolated settings, a real worker.

Every test gets a temporary MEDIA_ROOT, the MD5 password hasher (fast on purpose) and a
synchronous task queue: an experiment enqueued after commit runs in the test process itself.
Tests that need the real thing use ``qcluster`` (or ``start_cluster`` for several): a
``manage.py qcluster`` subprocess on the same test database (a file, when it is SQLite),
started through ``tests.support.workers``, never a cluster forked from pytest, whose
TensorFlow state would hang forked workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.support.workers import Worker, start_worker, stop_worker

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A SQLite test database lives in a file, so that a worker process can open it too."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


# Fixtures that open the test database. Only a test that uses the database can reach the
# cache, a table of that database (DatabaseCache) unless CACHE_URL is set.
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def _may_use_the_database(request: pytest.FixtureRequest) -> bool:
    marked = request.node.get_closest_marker("django_db") is not None
    return marked or not DATABASE_FIXTURES.isdisjoint(request.fixturenames)


@pytest.fixture(autouse=True)
def _fast_isolated_settings(
    request: pytest.FixtureRequest,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[None]:
    from django.core.cache import cache
    from django_q.conf import Conf

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # django-q reads its settings once, at import: switch the class attribute itself.
    monkeypatch.setattr(Conf, "SYNC", True)
    # Rate-limit counts start from nothing in every test. A transactional test's flush
    # leaves the cache's table alone (it is no model's), so it is emptied here.
    clear_cache = _may_use_the_database(request)
    if clear_cache:
        # The database first, so that it is still open when the cache is emptied at the end
        # (the kind, plain or transactional, is still the test's own choice).
        request.getfixturevalue("db")
        cache.clear()
    yield
    if clear_cache:
        cache.clear()
    # Only worker processes run the watchdog; one left in this process would go on writing
    # to the test database behind the next tests' backs.
    assert not any(t.name == "shapeshop-watchdog" for t in threading.enumerate())


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("bob", password=PASSWORD)


@pytest.fixture
def staff_client(django_user_model: Any) -> Client:
    """A superuser named root, signed in: the admin console's tests."""
    staff = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 16)
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: Any) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def alice_api(alice: Any) -> APIClient:
    """An API client logged in as alice by session (CSRF checks off, as for the test client)."""
    client = APIClient()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_api(bob: Any) -> APIClient:
    client = APIClient()
    client.force_login(bob)
    return client


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL for the database a connection uses (the test database, in tests)."""
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "localhost"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
    raise NotImplementedError(f"no worker for tests on {engine}")


def run_in_another_process(code: str, **environment: str) -> list[str]:
    """Runs ``code`` in ``manage.py shell``, a separate Python process on this test's
    database and with no cache of this process's (no CACHE_URL), as another web server would;
    returns the words it printed. A test using it needs ``django_db(transaction=True)``, so
    that the other process sees this one's rows."""
    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shapeshop_site.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        **environment,
    }
    env.pop("CACHE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


StartWorkers = Callable[..., Worker]


@pytest.fixture
def start_cluster(
    transactional_db: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StartWorkers]:
    """Starts ``manage.py qcluster`` processes on the test database and one shared queue.

    ``start_cluster(workers=2, env={"HEARTBEAT_TIMEOUT": "4"})`` starts one more cluster
    process with that many worker processes and those extra settings, and returns once it
    runs; every cluster started in a test takes tasks from the same queue, and all are
    stopped at the end of the test. Use with ``transactional_db`` or ``live_server`` so that
    the workers see committed rows; media files are shared through the test's MEDIA_ROOT.
    """
    from django.db import connection
    from django_q.conf import Conf

    name = f"shapeshop-test-{uuid.uuid4().hex[:10]}"
    # The queue name is also django-q's signing salt: both sides must agree on it.
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "PREFIX", name)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    started: list[Worker] = []

    def start(*, workers: int = 1, env: dict[str, str] | None = None) -> Worker:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "Q_CLUSTER_NAME": name,
            "Q_SYNC": "false",
            "Q_WORKERS": str(workers),
            # The warm-up traces the paper preset's shapes, which these tests' tiny runs do
            # not use: it would only delay every cluster start (test_warmup turns it on).
            "WORKER_WARMUP": "false",
            **(env or {}),
        }
        worker = start_worker(environment, log=tmp_path / f"qcluster-{len(started)}.log")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            stop_worker(worker)


@pytest.fixture
def qcluster(start_cluster: StartWorkers) -> Worker:
    """A real django-q cluster (one worker) in a separate process, on the test database;
    enqueued tasks go to it (see ``start_cluster``)."""
    return start_cluster(workers=1)
