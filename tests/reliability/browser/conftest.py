"""The browser tests' Chromium set-up, shared with tests/browser."""

from __future__ import annotations

from tests.browser.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    _allow_sync_orm_under_playwright,
    _requests_end_before_the_database_is_emptied,
    browser_type_launch_args,
)
