"""A run's page looks inside its model, in a desktop and a phone window: an attribution map
asked for shows "computing" until a worker has made it, then lies over the image it explains
(the class's template or a training image, drawn from the pixels sent with the map) with an
opacity slider and a diverging legend; a layer's units show as a grid of images, the
first layer's weights with them. The worker's task is run here, on a real tiny model."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from inspector import tasks
from inspector.models import AttributionMap, UnitImages
from tests.browser.test_history import log_in
from tests.browser.windows import expect_usable, fits_the_window
from tests.factories import TINY_CNN, TINY_MLP, trained_run

pytestmark = pytest.mark.browser

# How many of a canvas's pixels are drawn and not white.
COLOURED = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240)) count += 1;
  }
  return count;
}"""
OPACITY = "node => getComputedStyle(node).opacity"
# An image element's natural size, once loaded, and whether its pixels are not all one grey.
DRAWN = """async img => {
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const greys = new Set();
  for (let i = 0; i < data.length; i += 4) greys.add(data[i]);
  return [img.naturalWidth, img.naturalHeight, greys.size > 1];
}"""


def test_an_attribution_map_over_the_template(
    page: Page,
    live_server: Any,
    alice: Any,
    window: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = trained_run(alice, TINY_MLP)
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker, run here by hand
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/experiments/{run.pk}/")
    section = page.locator("#attributions-section")
    expect(section).to_be_visible()
    # The run's classes; an MLP has no convolution, so no Grad-CAM.
    expect(page.locator("#attribution-class option")).to_have_text(["Box", "Vertical line"])
    methods = page.locator("#attribution-method option")
    expect(methods).to_have_count(4)
    expect(methods).not_to_contain_text(["Grad-CAM"])
    page.locator("#attribution-method").select_option("integrated_gradients")
    expect(page.locator("#attribution-convention")).to_contain_text(
        "Integrated gradients from a black baseline, 32 steps"
    )
    page.locator("#attribution-method").select_option("saliency")
    page.locator("#attribution-class").select_option("line")

    page.get_by_role("button", name="Show the map").click()
    expect(page.locator("#attribution-progress")).to_contain_text("Computing")
    expect(page.locator("#attribution-view")).to_be_hidden()
    row = AttributionMap.objects.get(experiment=run)
    assert (row.class_key, row.method, row.image) == ("line", "saliency", "template")
    assert tasks.compute_attribution(row.pk) == "done"

    view = page.locator("#attribution-view")
    expect(view).to_be_visible(timeout=10_000)
    expect(page.locator("#attribution-progress")).to_have_text("")
    overlay = page.locator("#attribution-overlay")
    assert overlay.evaluate(COLOURED) > 0
    expect(overlay).to_have_attribute(
        "aria-label", "Saliency map of Vertical line's score over the template of Vertical line"
    )
    base = page.locator("#attribution-base")
    expect(base).to_be_visible()
    # The template lies under its map, drawn from the pixels sent with it.
    assert (base.get_attribute("src") or "").startswith("data:image/png")
    assert base.evaluate(DRAWN) == [28, 28, True]
    assert base.evaluate("node => getComputedStyle(node).imageRendering") == "pixelated"
    expect(page.locator("#attribution-legend")).to_contain_text("Below zero blue, zero white")
    expect(page.locator("#attribution-legend .tick text").nth(1)).to_have_text("0")

    # The opacity slider, from the keyboard, changes how strongly the map covers the image.
    assert overlay.evaluate(OPACITY) == "0.7"
    slider = page.locator("#attribution-opacity")
    expect_usable(slider)
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#attribution-opacity-value")).to_have_text("60%")
    assert overlay.evaluate(OPACITY) == "0.6"
    assert fits_the_window(page)

    # A training image lies under its map too: its pixels come with the map.
    page.locator("#attribution-index").fill("2")
    expect(page.locator("#attribution-training")).to_be_checked()
    page.get_by_role("button", name="Show the map").click()
    expect(page.locator("#attribution-progress")).to_contain_text("Computing")
    training = AttributionMap.objects.get(experiment=run, image="2")
    assert tasks.compute_attribution(training.pk) == "done"
    expect(overlay).to_have_attribute(
        "aria-label", re.compile(r"^Saliency map of Vertical line's score over training image 2")
    )
    expect(base).to_be_visible()
    expect(base).to_have_attribute("alt", "Training image 2")
    assert base.evaluate(DRAWN) == [28, 28, True]
    assert overlay.evaluate(COLOURED) > 0
    expect(page.locator("#attribution-legend")).to_contain_text("Below zero blue, zero white")
    assert overlay.evaluate(OPACITY) == "0.6"

    # A training image past the end of the set: computing first, then the worker's message.
    page.locator("#attribution-index").fill("100000")
    expect(page.locator("#attribution-training")).to_be_checked()
    page.get_by_role("button", name="Show the map").click()
    expect(page.locator("#attribution-progress")).to_contain_text("Computing")
    past = AttributionMap.objects.get(experiment=run, image="100000")
    assert tasks.compute_attribution(past.pk) == "failed"
    error = page.locator("#attribution-error")
    expect(error).to_be_visible(timeout=10_000)
    expect(error).to_contain_text("Image")
    expect(page.locator("#attribution-progress")).to_have_text("")


def test_a_layers_units_as_a_grid(
    page: Page,
    live_server: Any,
    alice: Any,
    window: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = trained_run(alice, {**TINY_CNN, "cnn_filters": [3, 4], "cnn_dense": 8})
    monkeypatch.setattr(Conf, "SYNC", False)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/experiments/{run.pk}/")
    # A CNN: Grad-CAM is on offer.
    expect(page.locator("#attribution-method option")).to_have_count(5)
    expect(page.locator("#units-section")).to_be_visible()
    layers = page.locator("#units-layer option")
    expect(layers).to_have_count(4)
    expect(layers.first).to_have_text("conv_1 (conv, 3 units)")
    page.get_by_role("button", name="Show its units").click()
    expect(page.locator("#units-progress")).to_contain_text("Computing")
    row = UnitImages.objects.get(experiment=run, layer="conv_1")
    assert tasks.compute_units(row.pk) == "done"

    grid = page.locator("#unit-grid .unit-card")
    expect(grid).to_have_count(3, timeout=30_000)
    expect(page.locator("#units-progress")).to_have_text("")
    expect(grid.nth(2)).to_contain_text("3")
    canvas = grid.first.locator("canvas")
    assert canvas.evaluate("node => [node.width, node.height]") == [28, 28]
    assert canvas.evaluate("node => getComputedStyle(node).imageRendering") == "pixelated"
    expect(canvas).to_have_attribute("aria-label", "Unit 1")
    # The first convolution's kernels as images beside its units.
    weights = page.locator("#weight-grid .unit-card")
    expect(weights).to_have_count(3)
    assert weights.first.locator("canvas").evaluate(COLOURED) > 0
    assert fits_the_window(page)

    # A later layer has no weights shown.
    page.locator("#units-layer").select_option("dense_1")
    page.get_by_role("button", name="Show its units").click()
    expect(page.locator("#units-progress")).to_contain_text("Computing")
    later = UnitImages.objects.get(experiment=run, layer="dense_1")
    assert tasks.compute_units(later.pk) == "done"
    expect(grid).to_have_count(8, timeout=30_000)
    expect(page.locator("#weights-block")).to_be_hidden()
