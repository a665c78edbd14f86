"""Browser tests: Playwright for Python driving Debian's Chromium, headless.

Playwright never downloads a browser here: the launch points at the system Chromium.
Playwright's synchronous API keeps an event loop running in the main thread from its start
to the end of the session, so Django's guard against database calls from inside an event
loop is switched off from the first browser test on (every later test in the session talks
to the database under that loop).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser.windows import WINDOWS

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Chromium's background services try to reach the internet; on a closed network those
# connections are refused many at a time, so they are all switched off.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or shutil.which(str(CHROMIUM)):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _allow_sync_orm_under_playwright() -> Iterator[None]:
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if previous is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1200, "height": 900}}


@pytest.fixture(params=list(WINDOWS.values()), ids=list(WINDOWS))
def window(request: pytest.FixtureRequest, page: Page) -> dict[str, int]:
    """The test runs twice, in a desktop's window and in a phone's; this is the window."""
    size: dict[str, int] = request.param
    page.set_viewport_size(size)
    return size


# How long the live server must have been idle before the test's database is emptied.
QUIET_S = 0.3


@pytest.fixture(autouse=True)
def _requests_end_before_the_database_is_emptied(live_server: Any, page: Any) -> Iterator[None]:
    """After each browser test the page is left, so its scripts send what they still hold
    (the study log sends its queue on leaving), and every request the live server is still
    serving ends before the test database is emptied. A request writing during the emptying
    deadlocks with it on PostgreSQL, and the next test finds this one's rows."""
    lock = threading.Lock()
    state = {"active": 0, "changed": time.monotonic()}

    def started(**_: Any) -> None:
        with lock:
            state["active"] += 1
            state["changed"] = time.monotonic()

    def finished(**_: Any) -> None:
        with lock:
            state["active"] -= 1
            state["changed"] = time.monotonic()

    request_started.connect(started, dispatch_uid="browser-test-requests", weak=False)
    request_finished.connect(finished, dispatch_uid="browser-test-requests", weak=False)
    try:
        yield
        with contextlib.suppress(PlaywrightError):  # a test may have closed its page
            page.goto("about:blank")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with lock:
                idle = state["active"] <= 0 and time.monotonic() - state["changed"] > QUIET_S
            if idle:
                break
            time.sleep(0.05)
    finally:
        request_started.disconnect(dispatch_uid="browser-test-requests")
        request_finished.disconnect(dispatch_uid="browser-test-requests")
