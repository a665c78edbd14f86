"""The two windows every page of the site is checked in, a desktop's and a phone's, and what
fitting one and being usable in one mean."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
WINDOWS = {"desktop": DESKTOP, "phone": PHONE}


def is_phone(window: dict[str, int]) -> bool:
    return window["width"] < 600


def fits_the_window(page: Page) -> bool:
    """Nothing makes the page scroll sideways: the document is no wider than the part of the
    window it is drawn in (the window's width less any vertical scroll bar)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def expect_usable(control: Locator) -> None:
    """A control a person can reach: scrolled to, it is shown wholly inside the window and
    takes the keyboard's focus."""
    control.scroll_into_view_if_needed()
    expect(control).to_be_visible()
    expect(control).to_be_in_viewport(ratio=1)
    control.focus()
    expect(control).to_be_focused()
