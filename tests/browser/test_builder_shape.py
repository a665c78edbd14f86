"""The model's shape and several images per class in the Model Builder, on a desktop and on
a phone: only the chosen model's shape fields show, a bad width is refused beside its field,
and a run trained by a real worker shows K images per class with the mean ± sd of |r|."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from experiments.models import Experiment
from tests.browser.test_builder import choose_epochs, log_in
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 120_000


def test_layer_sizes_and_diversity_from_the_builder_to_the_result_row(
    page: Page, live_server: Any, qcluster: Any, alice: Any, window: dict[str, int]
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    for key in ("box", "line", "circle"):
        page.locator(f'.thumb[data-class="{key}"]').click()
    choose_epochs(page, 3)
    page.get_by_text("Advanced").click()

    # The MLP's field shows; the CNN's do not, until the CNN is chosen.
    layers = page.get_by_label("Hidden layers", exact=True)
    expect(layers).to_have_value("128, 128")
    expect(page.get_by_label("Convolution filters", exact=True)).to_be_hidden()
    expect(page.get_by_label("Dense units", exact=True)).to_be_hidden()
    page.locator("input[name=model][value=cnn]").check()
    expect(layers).to_be_hidden()
    expect_usable(page.get_by_label("Convolution filters", exact=True))
    expect(page.get_by_label("Dense units", exact=True)).to_have_value("128")
    page.locator("input[name=model][value=cnn_deep]").check()
    expect(page.locator("#shape-fixed")).to_be_visible()
    page.locator("input[name=model][value=mlp]").check()
    expect_usable(layers)

    # A width out of bounds is refused beside its field, named by its label.
    layers.fill("32, 600")
    page.get_by_role("button", name="Train and Visualize").click()
    error = page.locator("#error-mlp_layers")
    expect(error).to_have_text("Hidden layers: each layer width must be from 1 to 512, not 600.")
    expect(layers).to_have_attribute("aria-invalid", "true")
    assert not Experiment.objects.exists()

    layers.fill("32, 16")
    page.get_by_label("Images per class", exact=True).fill("3")
    page.get_by_label("Iteration cap").fill("20")
    page.get_by_label("Other starts", exact=True).select_option("kinds")
    assert fits_the_window(page)
    page.get_by_role("button", name="Train and Visualize").click()
    row = page.locator(".result-row").first
    expect(row).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT_MS)

    experiment = Experiment.objects.get(owner=alice)
    assert experiment.config["mlp_layers"] == [32, 16]
    assert experiment.config["diversity"] == 3
    assert experiment.config["diversity_starts"] == "kinds"
    expect(row.locator(".result-meta")).to_contain_text("hidden layers 32, 16")
    expect(row.locator(".result-meta")).to_contain_text("3 images per class")

    cards = row.locator(".card")
    expect(cards).to_have_count(3)
    for card, result in zip(cards.all(), experiment.results.order_by("position"), strict=True):
        extras = card.locator(".card-extra img")
        expect(extras).to_have_count(2)
        for index, image in enumerate(extras.all()):
            expect(image).to_have_attribute("alt", _alt(result, index))
            expect_in_the_window(image)
            loaded = image.evaluate("node => node.complete && node.naturalWidth")
            assert loaded == 28
        rs = [r for r in [result.r, *(e["r"] for e in result.extras)] if r is not None]
        spread = f"{np.mean(rs):.2f} ± {np.std(rs, ddof=1):.2f}"
        expect(card.locator(".card-spread")).to_have_text(f"|r| over 3 images: {spread}")
    assert fits_the_window(page)


def _alt(result: Any, index: int) -> str:
    extra = result.extras[index]
    r = "undefined" if extra["r"] is None else f"{extra['r']:.2f}"
    return f"Generated image {index + 2} of 3 for {result.name}, from {extra['start']}, |r| {r}"
