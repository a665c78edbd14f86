"""The compare view in a real browser, in a desktop and a phone window: its width, the
heatmaps' legend and values, the loss axis, the settings that differ, the evolution of the
images, the question a paper scenario answers, and runs that end while it is open."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pytest
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from experiments.models import Experiment
from experiments.results import experiment_finish
from history.models import SavedComparison
from history.scenarios import SCENARIOS
from tests.browser.test_history import format_in_page, log_in, running
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window, is_phone
from tests.factories import TINY_MLP, finished_run, made_up_outcome, trained_run

pytestmark = pytest.mark.browser


def open_comparison(page: Page, base: str, experiments: list[Experiment], query: str = "") -> None:
    ids = ",".join(str(experiment.pk) for experiment in experiments)
    page.goto(f"{base}/compare/?ids={ids}{query}")
    expect(page.locator("#compare-content")).to_be_visible()


def test_the_comparison_uses_the_window_and_reads_at_a_glance(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    mlp = finished_run(alice, seed=1, classes=["box", "line", "circle"])
    cnn = finished_run(alice, seed=2, model="cnn", classes=["box", "line", "circle"])
    log_in(page, live_server.url, alice.username)
    open_comparison(page, live_server.url, [mlp, cnn], "&all=1")

    # The page's width, not a narrow column, on a wide screen; nothing sideways on a phone.
    width = page.locator("#compare-content").bounding_box()["width"]
    if is_phone(window):
        assert width >= window["width"] - 48
    else:
        assert width > 1200
    assert fits_the_window(page)

    # Accuracy as every page writes it.
    header = page.locator(f"#compare-grid th[data-id='{cnn.pk}'] .grid-sub")
    expect(header).to_have_text(f"accuracy {format_in_page(page, 'formatPercent', cnn.accuracy)}")

    # The settings that differ stand out: the row, and the value unlike the base column's.
    model_row = page.locator("#settings-table tr[data-setting=model]")
    expect(model_row).to_have_class(re.compile("is-different"))
    expect(model_row.locator("td.differs-from-base")).to_have_text(["cnn (differs from the base)"])
    # Classes by name, as the rest of the page names them.
    classes = page.locator("#settings-table tr[data-setting=classes] td")
    expect(classes.first).to_have_text("Box, Vertical line, Circle")
    same = page.locator("#settings-table tr[data-setting=step_size]")
    expect(same.locator("td.differs-from-base")).to_have_count(0)
    background = "td => getComputedStyle(td).backgroundColor"
    assert model_row.locator("td").nth(1).evaluate(background) != same.locator("td").nth(
        1
    ).evaluate(background)

    # The heatmaps' colour legend, and each cell's value on hover and from the keyboard.
    legend = page.locator("#heatmap-legend")
    expect(legend).to_contain_text("|r|, from 0 (white) to 1 (deep blue)")
    expect_in_the_window(legend)
    expect(legend.locator(".tick text")).to_contain_text(["0.0", "1.0"])
    figure = page.locator(f".heatmap-figure[data-id='{mlp.pk}']")
    cells = figure.locator("rect.heat-cell")
    expect(cells).to_have_count(9)
    expect(figure.locator("rect.heat-cell[tabindex='0']")).to_have_count(1)
    tooltip = page.locator("#heat-tooltip")
    cells.nth(1).hover()
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_text(
        f"image of Box vs shape Vertical line: |r| = {mlp.cross_r[0][1]:.2f}"
    )
    cells.first.focus()
    page.keyboard.press("ArrowDown")
    expect(cells.nth(3)).to_be_focused()
    expect(tooltip).to_have_text(
        f"image of Vertical line vs shape Box: |r| = {mlp.cross_r[1][0]:.2f}"
    )
    expect(cells.nth(3)).to_have_attribute("tabindex", "0")

    # The loss axis can be logarithmic; the address keeps the choice.
    loss_chart = page.locator("#loss-chart")
    expect(loss_chart).to_have_attribute("data-scale", "linear")
    linear = loss_chart.locator("path.curve").first.get_attribute("d")
    expect_usable(page.get_by_label("Logarithmic loss axis"))
    page.get_by_label("Logarithmic loss axis").check()
    expect(loss_chart).to_have_attribute("data-scale", "log")
    expect(loss_chart.locator("path.curve")).to_have_count(4)
    assert loss_chart.locator("path.curve").first.get_attribute("d") != linear
    expect(page).to_have_url(re.compile(r"&log=1"))
    page.reload()
    expect(page.get_by_label("Logarithmic loss axis")).to_be_checked()
    expect(loss_chart).to_have_attribute("data-scale", "log")
    assert fits_the_window(page)


BLACK_FIRST_FRAME = """img => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  return Math.max(...pixels.filter((_value, i) => i % 4 !== 3));
}"""


def test_the_evolution_starts_black_at_its_first_frame_and_plays(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    first = trained_run(alice, TINY_MLP, initial_image="black", snapshot_every=2, max_steps=8)
    second = finished_run(alice, seed=2, classes=["box", "line"])
    frames = first.results.get(position=0).snapshots
    count = len(np.load(io.BytesIO(bytes(frames))))
    log_in(page, live_server.url, alice.username)
    open_comparison(page, live_server.url, [first, second])

    scrubber = page.get_by_label("Snapshot")
    expect(scrubber).to_have_value("0")
    expect(page.locator("#scrubber-value")).to_have_text(f"1 of {count}")
    image = page.locator(".scrub-image").first
    expect(image).to_have_attribute("src", re.compile(r"/snapshots/0\.png$"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 28", arg=image.element_handle()
    )
    # The black start is black, not the mid-grey of a constant image scaled.
    assert image.evaluate(BLACK_FIRST_FRAME) == 0

    # The scrubber and its Play button can be reached, in a phone's window too.
    expect_usable(scrubber)
    play = page.get_by_role("button", name="Play the evolution")
    expect_usable(play)
    play.click()
    pause = page.get_by_role("button", name="Pause the evolution")
    # It plays to the last frame and stops there.
    expect(scrubber).to_have_value(str(count - 1), timeout=10_000)
    expect(page.locator("#scrubber-value")).to_have_text(f"{count} of {count}")
    expect(play).to_have_text("Play")
    # Played again, it starts over; Pause stops it.
    play.click()
    expect(pause).to_have_text("Pause")
    pause.click()
    expect(play).to_have_text("Play")
    assert fits_the_window(page)


def test_a_scenarios_comparison_says_its_question_and_a_run_ending_shows_up(
    page: Page,
    live_server: Any,
    alice: Any,
    monkeypatch: pytest.MonkeyPatch,
    window: dict[str, int],
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker, which never comes here
    done = finished_run(alice, seed=1, classes=["line", "line_horizontal"])
    going = running(alice, ["line", "line_horizontal", "circle"], 0.5)
    log_in(page, live_server.url, alice.username)
    open_comparison(page, live_server.url, [done, going], "&scenario=diversity")
    question = page.locator("#compare-question")
    expect(question).to_contain_text(SCENARIOS["diversity"].title)
    expect(question).to_contain_text(SCENARIOS["diversity"].description)
    expect(question).to_be_in_viewport()

    # The running column says so, and fills in once its run ends, without a reload.
    column = page.locator(f"#compare-grid th[data-id='{going.pk}'] .grid-sub")
    expect(column).to_have_text("Running")
    expect(page.locator("#still-running")).to_contain_text("appear here when they finish")
    outcome = made_up_outcome(going, rs=None, snapshot_frames=0, rng=np.random.default_rng(2))
    assert experiment_finish(experiment_id=going.pk, outcome=outcome)
    going.refresh_from_db()
    accuracy = format_in_page(page, "formatPercent", going.accuracy)
    expect(column).to_have_text(f"accuracy {accuracy}", timeout=10_000)
    expect(page.locator("#still-running")).to_be_hidden()
    expect(page.locator("#compare-grid td.grid-cell:not(.is-empty)")).to_have_count(5)

    # Saved, it keeps its question.
    page.get_by_label("Save this comparison as").fill("More diverse classes")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-status")).to_contain_text("Saved as")
    saved = SavedComparison.objects.get(owner=alice)
    assert saved.options["scenario"] == "diversity"
    page.get_by_role("link", name="history page").click()
    page.get_by_role("link", name="More diverse classes").click()
    expect(page).to_have_url(re.compile(r"&scenario=diversity"))
    expect(page.locator("#compare-question")).to_contain_text(SCENARIOS["diversity"].title)
    assert fits_the_window(page)
