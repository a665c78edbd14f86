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


# Where a shown element lies outside the window's drawing area, in words; null where it lies
# wholly inside (a pixel of rounding allowed: layouts place boxes at fractions of pixels).
OUTSIDE_THE_WINDOW = """node => {
  const box = node.getBoundingClientRect();
  const root = document.documentElement;
  const width = Math.min(root.clientWidth, window.innerWidth);
  const height = Math.min(root.clientHeight, window.innerHeight);
  const inside = box.width > 0 && box.height > 0 && box.left >= -1 && box.top >= -1
    && box.right <= width + 1 && box.bottom <= height + 1;
  const at = (x, y) => `${x.toFixed(1)},${y.toFixed(1)}`;
  return inside ? null : `${at(box.left, box.top)} to ${at(box.right, box.bottom)}`
    + ` in ${width}x${height}`;
}"""


def expect_in_the_window(element: Locator) -> None:
    """Scrolled to, the element is shown wholly inside the window."""
    element.scroll_into_view_if_needed()
    expect(element).to_be_visible()
    outside = element.evaluate(OUTSIDE_THE_WINDOW)
    assert outside is None, f"{element} lies at {outside}"


def expect_usable(control: Locator) -> None:
    """A control a person can reach: scrolled to, it is shown wholly inside the window and
    takes the keyboard's focus."""
    expect_in_the_window(control)
    control.focus()
    expect(control).to_be_focused()
