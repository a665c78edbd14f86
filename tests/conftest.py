"""Shared fixtures: two users (alice and bob), fast and isolated settings, a real worker.

Every test gets a temporary MEDIA_ROOT, the MD5 password hasher (fast on purpose) and a
synchronous task queue: an experiment enqueued after commit runs in the test process itself.
Tests that need the real thing use ``qcluster``: a ``manage.py qcluster`` subprocess on the
same test database (a file, when it is SQLite), never a cluster forked from pytest, whose
TensorFlow state would hang forked workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery-staple"
CLUSTER_START_TIMEOUT_S = 60


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


@pytest.fixture(autouse=True)
def _fast_isolated_settings(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    from django.core.cache import cache
    from django_q.conf import Conf

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # django-q reads its settings once, at import: switch the class attribute itself.
    monkeypatch.setattr(Conf, "SYNC", True)
    cache.clear()
    yield
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


class Worker:
    """A running ``manage.py qcluster`` process and its log."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def qcluster(
    transactional_db: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Worker]:
    """A real django-q cluster (one worker) in a separate process, on the test database.

    Use with ``transactional_db`` or ``live_server`` so that the worker sees committed rows;
    media files are shared through the test's MEDIA_ROOT. Enqueued tasks go to this cluster.
    """
    from django.db import connection
    from django_q.conf import Conf

    name = f"shapeshop-test-{uuid.uuid4().hex[:10]}"
    # The queue name is also django-q's signing salt: both sides must agree on it.
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "PREFIX", name)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "Q_CLUSTER_NAME": name,
        "Q_SYNC": "false",
        "Q_WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "shapeshop_site.settings",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "qcluster.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, log)
    try:
        _wait_until_ready(worker)
        yield worker
    finally:
        _stop(process)


def _wait_until_ready(worker: Worker) -> None:
    deadline = time.monotonic() + CLUSTER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"qcluster exited early:\n{worker.output()}")
        if "running" in worker.output().lower():
            return
        time.sleep(0.1)
    raise RuntimeError(f"qcluster did not start in time:\n{worker.output()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # The cluster's parent stops its own workers; signalling them too leaves it waiting.
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
