"""A run's own page in a real browser, in a desktop and a phone window: reached from its
history row, it shows the images large and crisp, in both colourings with the diverging
one's legend, the curves, the confusion heatmap, the cross-class heatmap and the snapshots.
While a run trains its curves grow, and its page fills in once it ends."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from experiments import lifecycle
from experiments.results import experiment_finish
from tests.browser.test_history import log_in
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window, is_phone
from tests.factories import TINY_MLP, finished_run, made_up_outcome, queued_run

pytestmark = pytest.mark.browser

WIDTH = "node => node.getBoundingClientRect().width"
# How many of a canvas's pixels are not white: the diverging image is drawn, not blank.
COLOURED = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240) count += 1;
  }
  return count;
}"""


def test_a_finished_runs_page_from_its_history_row(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    run = finished_run(alice, classes=["box", "line", "circle"], seed=4, snapshot_frames=3)
    log_in(page, live_server.url, alice.username)
    # Its builder row shows the matrix of the images it was not fitted on: the validation ones.
    block = page.locator(f"#experiment-{run.pk} .confusion-block")
    expect(block).to_have_attribute("data-on", "validation")
    expect(block.locator("summary")).to_have_text("Confusion matrix on the 3 validation images")
    page.goto(f"{live_server.url}/history/")
    page.locator(f"#experiment-{run.pk} a.run-page-link").click()
    expect(page).to_have_url(f"{live_server.url}/experiments/{run.pk}/")
    expect(page.locator("#run-title")).to_have_text(f"Run [{run.number}]: MLP")
    expect(page.locator("#run-status")).to_have_text("Done")

    # The images large and crisp, 224 px by default.
    cards = page.locator("#run-images .run-card")
    expect(cards).to_have_count(3)
    image = cards.first.locator("img.run-image")
    expect(image).to_be_visible()
    assert image.evaluate(WIDTH) == pytest.approx(224, abs=1)
    assert image.evaluate("node => getComputedStyle(node).imageRendering") == "pixelated"
    # Pressed, one image doubles (within the window's width on a phone); pressed again, back.
    button = cards.first.locator(".run-image-button")
    expect_usable(button)
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-pressed", "true")
    zoomed = image.evaluate(WIDTH)
    assert zoomed > 300 if is_phone(window) else zoomed == pytest.approx(448, abs=1)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    # The size slider, from the keyboard.
    zoom = page.locator("#zoom")
    expect_usable(zoom)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#zoom-value")).to_have_text("280 px")
    assert image.evaluate(WIDTH) == pytest.approx(280, abs=1)

    # The diverging view: its canvas drawn from the raw values, its legend and the range.
    legend = page.locator("#diverging-legend")
    expect(legend).to_be_hidden()
    page.get_by_label("Diverging, centred on zero").check()
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("below zero blue, zero white, above zero red")
    expect(legend.locator(".tick text").nth(2)).to_have_text("0")
    expect(image).to_be_hidden()
    canvas = cards.first.locator("canvas.run-image")
    expect(canvas).to_be_visible()
    assert canvas.evaluate(COLOURED) > 0
    expect(cards.first.locator(".run-card-range")).to_contain_text("values from")
    page.get_by_label("Min-max, as stored").check()
    expect(legend).to_be_hidden()
    expect(image).to_be_visible()

    # Its own curves, training and validation, with their numbers as a table.
    expect(page.locator("#loss-chart path.curve")).to_have_count(2)
    expect(page.locator("#accuracy-chart path.curve")).to_have_count(2)
    expect(page.locator("#curves-table tbody tr")).to_have_count(5)

    # The confusion matrices, of the training and of the validation images, as heatmaps
    # with their legends, and per-class accuracy on each.
    confusion = page.locator("#confusions figure.confusion")
    expect(confusion).to_have_count(2)
    expect(confusion.first).to_contain_text("Confusion matrix on the 3 training images")
    expect(confusion.nth(1)).to_contain_text("Confusion matrix on the 3 validation images")
    expect(confusion.first.locator(".confusion-cell")).to_have_count(9)
    expect_in_the_window(confusion.first.locator(".heatmap-legend"))
    table = page.locator("#per-class-table")
    expect(table.locator("thead th")).to_have_text(
        ["Class", "Accuracy on the training images", "Accuracy on the validation images"]
    )
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").first.locator("td")).to_have_text(["100.0%", "100.0%"])

    # Cross-class |r| with its legend; the snapshots with Play.
    expect(page.locator("#heatmap-legend")).to_contain_text("|r|, from 0 (white) to 1")
    expect(page.locator("#heatmaps rect.heat-cell")).to_have_count(9)
    expect(page.locator("#scrubber-section")).to_be_visible()
    expect(page.locator("#scrubber-value")).to_have_text("1 of 3")
    expect_usable(page.locator("#scrub-play"))
    page.keyboard.press("Enter")
    expect(page.locator("#scrubber-value")).to_have_text("3 of 3")

    # Every setting, and nothing wider than the window.
    expect(page.locator("#run-settings [data-setting=seed] dd")).to_have_text("4")
    assert fits_the_window(page)


def progress_at(epoch: int, loss: float, accuracy: float) -> dict[str, Any]:
    metrics = {"loss": loss, "accuracy": accuracy, "val_loss": loss + 0.1, "val_accuracy": accuracy}
    return {
        "phase": "train",
        "fraction": epoch / 10,
        "done": epoch,
        "total": 10,
        "metrics": metrics,
    }


def test_a_running_runs_curves_grow_and_its_page_fills_when_it_ends(
    page: Page, live_server: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker, which never comes here
    going = queued_run(alice, TINY_MLP, classes=["box", "line"], epochs=10)
    assert lifecycle.experiment_start(experiment_id=going.pk)
    assert lifecycle.experiment_progress(experiment_id=going.pk, progress=progress_at(1, 1.2, 0.4))
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/experiments/{going.pk}/")
    expect(page.locator("#run-status")).to_have_text("Running")
    expect(page.locator("#run-progress")).to_contain_text("Training: epoch 1 of 10")
    expect(page.locator("#images-section")).to_be_hidden()
    rows = page.locator("#curves-table tbody tr")
    expect(rows).to_have_count(1)

    # Each epoch reported adds to the curves, training and validation.
    assert lifecycle.experiment_progress(experiment_id=going.pk, progress=progress_at(2, 0.8, 0.6))
    expect(rows).to_have_count(2, timeout=10_000)
    expect(page.locator("#loss-chart path.curve")).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("0.8000")

    # Finished, the page shows the stored curves, the images and the rest.
    outcome = made_up_outcome(going, rs=None, snapshot_frames=0, rng=np.random.default_rng(2))
    assert experiment_finish(experiment_id=going.pk, outcome=outcome)
    expect(page.locator("#run-status")).to_have_text("Done", timeout=10_000)
    expect(page.locator("#run-images .run-card")).to_have_count(2)
    expect(rows).to_have_count(10)
    expect(page.locator("#scrubber-section")).to_be_hidden()


def test_the_builder_rows_and_the_compare_columns_link_the_page(
    page: Page, live_server: Any, alice: Any
) -> None:
    first = finished_run(alice, seed=1)
    second = finished_run(alice, seed=2)
    log_in(page, live_server.url, alice.username)
    link = page.locator(f"#experiment-{first.pk} a.run-page-link")
    expect(link).to_have_accessible_name(f"Open the page of experiment {first.number}")
    link.click()
    expect(page).to_have_url(f"{live_server.url}/experiments/{first.pk}/")
    page.goto(f"{live_server.url}/compare/?ids={first.pk},{second.pk}")
    page.locator(f"#compare-grid th[data-id='{second.pk}'] a.run-page-link").click()
    expect(page).to_have_url(f"{live_server.url}/experiments/{second.pk}/")
    expect(page.locator("#run-title")).to_have_text(f"Run [{second.number}]: MLP")
