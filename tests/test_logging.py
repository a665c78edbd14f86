"""Errors leave a trace with DEBUG off: a request that fails is logged with its traceback to
the console, and to the file LOG_FILE names."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import path

from tests.conftest import ROOT


def raises(request: Any) -> Any:
    raise RuntimeError("a bug the operator must see")


# This module is also the URLconf of the request tests: one route, which raises.
urlpatterns = [path("raises/", raises)]


def handlers_reached(name: str) -> list[logging.Handler]:
    """The handlers a record of logger ``name`` reaches, as logging itself walks them."""
    found: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        found.extend(logger.handlers)
        logger = logger.parent if logger.propagate else None
    return found


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the stream handlers that django.request reaches write, while the test runs."""
    buffer = io.StringIO()
    streams = [
        (handler, handler.setStream(buffer))
        for handler in handlers_reached("django.request")
        if isinstance(handler, logging.StreamHandler)
        and not isinstance(handler, logging.FileHandler)
    ]
    yield buffer
    for handler, stream in streams:
        handler.setStream(stream)


def test_the_logging_config_sends_request_errors_to_a_handler() -> None:
    logger = django_settings.LOGGING["loggers"]["django.request"]
    assert "console" in logger["handlers"]
    assert logging.getLevelName(logger["level"]) <= logging.ERROR
    console_handler = django_settings.LOGGING["handlers"]["console"]
    assert not console_handler.get("filters")  # not only with DEBUG on


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_failing_request_is_logged_with_its_traceback_when_debug_is_off(
    settings: Any, console: io.StringIO
) -> None:
    settings.DEBUG = False
    records: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("django.request")
    logger.addHandler(capture)
    try:
        response = Client(raise_request_exception=False).get("/raises/")
    finally:
        logger.removeHandler(capture)
    assert response.status_code == 500
    [record] = [r for r in records if r.levelno == logging.ERROR]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    written = console.getvalue()
    assert "Internal Server Error: /raises/" in written
    assert "Traceback (most recent call last)" in written
    assert "RuntimeError: a bug the operator must see" in written


def test_log_file_adds_a_file_the_errors_are_written_to(tmp_path: Path) -> None:
    """In a process of its own, configured from the environment as a deployment is."""
    log_file = tmp_path / "shapeshop.log"
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "settings.ROOT_URLCONF = 'tests.test_logging'\n"
        "from django.test import Client\n"
        "response = Client(raise_request_exception=False).get('/raises/', secure=True)\n"
        "assert response.status_code == 500, response.status_code\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shapeshop_site.settings",
        "DEBUG": "false",
        "SECRET_KEY": "a-secret-key-for-this-test-only-0123456789-abcdefghijklmnop",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "LOG_FILE": str(log_file),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    written = log_file.read_text()
    assert "ERROR django.request" in written
    assert "RuntimeError: a bug the operator must see" in written
    assert "RuntimeError: a bug the operator must see" in result.stderr  # the console too
