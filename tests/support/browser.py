"""What a page says went wrong in the browser: a Content-Security-Policy refusal or a
script error, collected while a test drives it."""

from __future__ import annotations

from typing import Any


def collect_violations(page: Any) -> list[str]:
    """A list that fills, as the page is used, with each console message about the
    Content-Security-Policy and each uncaught script error, prefixed with the page's URL."""
    violations: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: violations.append(f"{page.url}: {error}"))
    return violations
