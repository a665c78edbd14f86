"""The probe on a run's own page in a real browser, in a desktop and a phone window: a tiny
model trained for real, a stroke drawn with the mouse and one with the keyboard move the
class bars to what POST …/probe/ answers for the same pixels, the saliency is laid over the
drawing and explains the chosen class, and an uploaded picture is probed too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from rest_framework.test import APIClient

from experiments.models import Experiment
from tests.browser.test_draw import page_problems, stroke
from tests.browser.test_history import log_in
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window
from tests.factories import TINY_MLP, finished_run, trained_run

pytestmark = pytest.mark.browser

# How many of the overlay's pixels show some colour: the saliency is drawn, not blank.
PAINTED = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count += 1;
  return count;
}"""


def bar_values(page: Page) -> list[str]:
    return page.locator("#probe-bars .probe-value").all_text_contents()


def percents(body: dict[str, Any]) -> list[str]:
    """The API's probabilities as the bars write them."""
    return [f"{item['p'] * 100:.1f}%" for item in body["probabilities"]]


def wait_for_pixels(page: Page, sent: list[Any], drawn: Callable[[np.ndarray], bool]) -> None:
    """Waits until the latest probe request carries pixels that pass ``drawn`` (a change
    asked during a stroke goes out up to a fraction of a second later)."""
    for _ in range(100):
        if sent and drawn(np.array(sent[-1]["pixels"])):
            return
        page.wait_for_timeout(50)
    raise AssertionError("No probe request carried the drawing.")


def test_the_probe_follows_the_drawing(
    page: Page, live_server: Any, alice: Any, window: dict[str, int], tmp_path: Path
) -> None:
    run = trained_run(alice, TINY_MLP, seed=3)
    api = APIClient()
    api.force_login(alice)
    url = f"/api/v1/experiments/{run.pk}/probe/"
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith(url) else None)

    def answer_to_last_request(**extra: Any) -> dict[str, Any]:
        response = api.post(url, {"pixels": sent[-1]["pixels"], **extra}, format="json")
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body

    problems = page_problems(page)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/experiments/{run.pk}/")
    section = page.locator("#probe-section")
    expect(section).to_be_visible()
    rows = page.locator("#probe-bars .probe-row")
    expect(rows).to_have_count(2)
    expect(page.locator("#probe-bars .probe-name")).to_have_text(
        list(run.results.order_by("position").values_list("name", flat=True))
    )
    blank = bar_values(page)
    assert np.array(sent[-1]["pixels"]).max() == 0
    assert blank == percents(answer_to_last_request())

    # A stroke with the mouse: the bars move to the server's answer for the drawn pixels.
    expect_in_the_window(page.locator("#probe-canvas"))
    stroke(page, "probe-canvas", (6, 6), (6, 21), (21, 21), (21, 6), (6, 6))
    expect(page.locator("#probe-undo")).to_be_enabled()
    wait_for_pixels(page, sent, lambda pixels: pixels[6:22, 6].min() == 1)
    expect(page.locator("#probe-bars .probe-value")).not_to_have_text(blank)
    drawn = np.array(sent[-1]["pixels"])
    assert drawn.shape == (28, 28) and drawn[6, 6:22].min() == 1 and drawn[0, 0] == 0
    expected = answer_to_last_request()
    expect(page.locator("#probe-bars .probe-value")).to_have_text(percents(expected))
    for row, item in zip(rows.all(), expected["probabilities"], strict=True):
        assert float(row.get_attribute("data-p") or "nan") == pytest.approx(item["p"], abs=1e-9)
    most_likely = max(expected["probabilities"], key=lambda item: item["p"])["class"]
    expect(section).to_have_attribute("data-saliency", most_likely)

    # The saliency over the drawing, painted, with its toggle and opacity slider.
    overlay = page.locator("#probe-saliency")
    expect(overlay).to_be_visible()
    assert overlay.evaluate(PAINTED) > 0
    opacity = page.locator("#probe-opacity")
    expect_usable(opacity)
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#probe-opacity-value")).to_have_text("50%")
    assert overlay.evaluate("node => getComputedStyle(node).opacity") == "0.5"
    toggle = page.get_by_label("Show the saliency over the drawing")
    toggle.uncheck()
    expect(overlay).to_be_hidden()
    toggle.check()
    expect(overlay).to_be_visible()

    # The chooser: the saliency explains the other class.
    other = "line" if most_likely == "box" else "box"
    page.get_by_label("The saliency explains").select_option(other)
    expect(section).to_have_attribute("data-saliency", other)
    assert sent[-1]["class"] == other
    assert answer_to_last_request(**{"class": other})["class"] == other
    expect(page.locator("#probe-bars .is-explained")).to_have_attribute("data-class", other)

    # Keyboard drawing: the arrow keys move the cursor from where the mouse left it (row 6,
    # column 6), Shift with them paints along the way, Space paints the cell under it.
    before = bar_values(page)
    canvas = page.locator("#probe-canvas")
    expect_usable(canvas)
    for _ in range(8):
        page.keyboard.press("ArrowDown")
    page.keyboard.down("Shift")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    page.keyboard.up("Shift")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    wait_for_pixels(page, sent, lambda pixels: pixels[14, 6:14].min() == 1)
    expect(page.locator("#probe-bars .probe-value")).not_to_have_text(before)
    expect(page.locator("#probe-bars .probe-value")).to_have_text(
        percents(answer_to_last_request(**{"class": other}))
    )
    # Ctrl+Z undoes the keyboard's two strokes (the mouse's drawing is back), Clear empties
    # the grid: the blank answer again.
    canvas.focus()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    wait_for_pixels(page, sent, lambda pixels: bool(np.array_equal(pixels, drawn)))
    expect(page.locator("#probe-bars .probe-value")).to_have_text(
        percents(answer_to_last_request(**{"class": other}))
    )
    page.get_by_role("button", name="Clear").click()
    page.get_by_label("The saliency explains").select_option("")
    expect(page.locator("#probe-bars .probe-value")).to_have_text(blank)

    # A picture, light on dark, scaled to the grid in the browser.
    picture = np.zeros((56, 56), np.uint8)
    picture[8:48, 26:30] = 255
    path = tmp_path / "line.png"
    Image.fromarray(picture).save(path)
    page.locator("#probe-upload").set_input_files(str(path))
    wait_for_pixels(page, sent, lambda pixels: pixels[10, 13:15].min() > 0.9)
    uploaded = np.array(sent[-1]["pixels"])
    assert uploaded[:, :10].max() == 0 and uploaded[2, 14] == 0
    expect(page.locator("#probe-bars .probe-value")).to_have_text(
        percents(answer_to_last_request())
    )
    expect(page.locator("#probe-error")).to_be_hidden()
    assert fits_the_window(page)
    assert problems == []


def test_a_run_without_weights_has_no_probe(page: Page, live_server: Any, alice: Any) -> None:
    run = finished_run(alice)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/experiments/{run.pk}/")
    expect(page.locator("#run-images .run-card").first).to_be_visible()
    expect(page.locator("#probe-section")).to_have_count(0)
    # A run whose record names weights that are not stored: the probe's 409, in words.
    Experiment.objects.filter(pk=run.pk).update(weights_sha256="0" * 64)
    page.reload()
    error = page.locator("#probe-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(
        "This run cannot be probed: This experiment has no stored weights to probe."
    )
    expect(page.locator("#probe-bars .probe-row")).to_have_count(0)
