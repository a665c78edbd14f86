"""The landing page's example figure is sharp on high-density screens: the browser picks an
image with at least one of its pixels for each device pixel it covers."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("width", "height", "density"),
    [(1400, 900, 1), (1400, 900, 2), (390, 844, 3)],
    ids=["desktop", "desktop-2x", "phone-3x"],
)
def test_the_example_has_a_pixel_for_every_device_pixel(
    browser: Browser, live_server: Any, width: int, height: int, density: int
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=density
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        figure = page.locator(".landing-example img")
        expect(figure).to_be_visible()
        figure.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth", arg=figure.element_handle()
        )
        # naturalWidth is corrected by the density srcset names, so the chosen file's own
        # pixels are counted from a plain copy of it.
        shown = figure.evaluate(
            """img => new Promise((resolve) => {
                 const plain = new Image();
                 plain.onload = () => resolve({natural: plain.naturalWidth, source: img.currentSrc,
                                               css: img.getBoundingClientRect().width});
                 plain.src = img.currentSrc;
               })"""
        )
        assert shown["natural"] >= shown["css"] * density - 0.5, shown
        # The figure is never drawn wider than its own pixels at one device pixel each.
        assert shown["css"] <= 608
        if density == 1:
            assert shown["source"].endswith("/landing-example.png"), shown
    finally:
        context.close()
