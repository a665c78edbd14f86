"""The probe's method chooser and feature maps in a real browser, in a desktop and a phone
window: integrated gradients replaces the saliency over a drawing with the server's map for
the same pixels, and a chosen layer's maps appear as a grid with one image per channel."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from models_zoo.config import RunConfig
from tests.browser.test_draw import page_problems, stroke
from tests.browser.test_history import log_in
from tests.browser.test_run_probe import PAINTED, wait_for_pixels
from tests.browser.windows import expect_in_the_window, fits_the_window
from tests.factories import TINY_CNN, trained_run

pytestmark = pytest.mark.browser

# The overlay's pixels as a flat list of alpha values, to see the map change.
ALPHAS = """canvas => Array.from(
  canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
).filter((_, i) => i % 4 === 3)"""


def test_methods_and_feature_maps(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    run = trained_run(alice, TINY_CNN, seed=3)
    api = APIClient()
    api.force_login(alice)
    url = f"/api/v1/experiments/{run.pk}/probe/"
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith(url) else None)
    problems = page_problems(page)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/experiments/{run.pk}/")
    section = page.locator("#probe-section")
    expect(page.locator("#probe-bars .probe-row")).to_have_count(2)

    expect_in_the_window(page.locator("#probe-canvas"))
    stroke(page, "probe-canvas", (6, 6), (6, 21), (21, 21), (21, 6), (6, 6))
    wait_for_pixels(page, sent, lambda pixels: pixels[6:22, 6].min() == 1)
    expect(section).to_have_attribute("data-method", "saliency")
    overlay = page.locator("#probe-saliency")
    saliency = overlay.evaluate(ALPHAS)

    section.get_by_label("Method", exact=True).select_option("integrated_gradients")
    expect(section).to_have_attribute("data-method", "integrated_gradients")
    assert sent[-1]["method"] == "integrated_gradients"
    shown = overlay.evaluate(ALPHAS)
    assert shown != saliency and max(shown) > 0
    body = api.post(
        url, {"pixels": sent[-1]["pixels"], "method": "integrated_gradients"}, format="json"
    ).json()
    ig = np.abs(np.array(body["saliency"]))
    # The most attributed pixel is drawn opaque.
    row, col = np.unravel_index(int(ig.argmax()), ig.shape)
    assert shown[row * 28 + col] == 255
    assert overlay.evaluate(PAINTED) > 0

    # Another stroke with the method kept: the map follows the drawing.
    stroke(page, "probe-canvas", (10, 10), (17, 17))
    wait_for_pixels(page, sent, lambda pixels: pixels[10, 10] == 1 and pixels[17, 17] == 1)
    assert sent[-1]["method"] == "integrated_gradients"
    expect(overlay).to_be_visible()

    # Feature maps of the first convolution: one image per filter, of the layer's grid.
    layer = section.get_by_label("Layer", exact=True)
    layer.scroll_into_view_if_needed()
    layer.select_option("conv_1")
    maps = page.locator("#probe-feature-grid .probe-feature")
    expect(maps).to_have_count(RunConfig.with_defaults(run.config)["cnn_filters"][0])
    assert sent[-1]["layer"] == "conv_1"
    assert maps.first.evaluate("c => [c.width, c.height]") == [26, 26]
    expect(page.locator("#probe-features-note")).to_contain_text("conv_1")
    # The logits: one cell per class.
    layer.select_option("logits")
    expect(maps).to_have_count(2)
    expect(page.locator("#probe-feature-grid")).to_have_attribute("data-layer", "logits")
    layer.select_option("")
    expect(maps).to_have_count(0)
    assert fits_the_window(page)
    assert problems == []
