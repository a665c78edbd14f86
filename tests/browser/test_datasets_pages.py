"""Datasets in a real browser, on a desktop and a phone: the dataset tabs of the Model Builder
(reached with the keyboard), a dataset's defaults written into the settings and said, a mix
of datasets named before anything is sent, and a digits run trained by a real worker showing
its test accuracy and the confusion matrix of its held-out test images; a digit class
highlighted on its mean training image; test accuracy on the history and compare pages."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from drawing.models import Highlight
from experiments.models import Experiment
from experiments.views import SETTING_LABELS
from models_zoo import config, datasets
from tests.browser.test_builder import choose_epochs, log_in
from tests.browser.test_builder_layout import finished_run
from tests.browser.test_draw import page_problems, stroke
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 180_000
DIGITS = datasets.DATASETS["digits"]


def open_tab(page: Page, title: str) -> None:
    """The keyboard moves from the first tab to the one named ``title`` with the arrow keys."""
    first = page.get_by_role("tab").first
    expect_usable(first)
    tab = page.get_by_role("tab", name=re.compile(f"^{title}"))
    for _ in range(len(datasets.DATASETS)):
        if tab.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowRight")
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(tab).to_be_focused()
    expect(page.get_by_role("tabpanel", name=re.compile(f"^{title}"))).to_be_visible()


def shown(value: Any) -> str:
    """A setting's value as the page writes it into a field (JavaScript's String())."""
    return str(int(value)) if float(value).is_integer() else str(value)


def expect_setting(page: Page, name: str, value: Any) -> None:
    if name == "epochs":
        if value in config.EPOCH_CHOICES:
            expect(page.locator(f"input[name=epochs_choice][value='{value}']")).to_be_checked()
        else:
            expect(page.locator("input[name=epochs_choice][value=custom]")).to_be_checked()
            expect(page.locator("#epochs_custom")).to_have_value(shown(value))
    else:
        expect(page.locator(f"#{name}")).to_have_value(shown(value))


def test_digit_classes_apply_their_defaults_and_a_mix_is_named(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    paper = config.RunConfig(classes=("box", "line")).to_dict()
    expect(page.get_by_role("tab", name=re.compile("^Shapes"))).to_have_attribute(
        "aria-selected", "true"
    )
    open_tab(page, "Digits")
    panel = page.get_by_role("tabpanel", name=re.compile("^Digits"))
    # What |r| is measured against, in the dataset's own words.
    expect(panel).to_contain_text("|r| is measured against the class's mean training image.")
    expect(panel).to_contain_text("test set")

    # Keyboard: Tab into the panel's thumbnails; Space picks one, a click the other.
    zero = panel.locator('.thumb[data-class="digits:0"]')
    expect_usable(zero)
    page.keyboard.press("Space")
    expect(zero).to_have_attribute("aria-pressed", "true")
    panel.locator('.thumb[data-class="digits:1"]').click()
    expect(page.get_by_role("tab", name=re.compile("^Digits"))).to_contain_text("(2 picked)")

    # The dataset's defaults are in the fields and said, naming each one.
    status = page.locator("#dataset-status")
    expect(status).to_contain_text("Settings for Digits applied:")
    for name, value in DIGITS.defaults.items():
        expect_setting(page, name, value)
        expect(status).to_contain_text(f"{SETTING_LABELS[name]} {shown(value)}")
    # A reload keeps the picked classes: their tab is shown and their defaults applied again.
    page.reload()
    expect(page.get_by_role("tab", name=re.compile("^Digits"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(zero).to_have_attribute("aria-pressed", "true")
    expect(status).to_contain_text("Settings for Digits applied:")
    for name, value in DIGITS.defaults.items():
        expect_setting(page, name, value)
    # "Show them" opens the advanced settings at a field the dataset set.
    page.get_by_role("button", name="Show them").click()
    expect(page.locator("#advanced")).to_have_attribute("open", "")
    expect(page.locator("#batch_size")).to_have_class(re.compile("is-dataset-set"))
    # The fields stay editable.
    page.locator("#batch_size").fill("32")
    expect(page.locator("#batch_size")).not_to_have_class(re.compile("is-dataset-set"))
    run_button = page.get_by_role("button", name="Train and Visualize")
    expect(run_button).to_be_enabled()
    assert fits_the_window(page)

    # A shape as well: the mix is named, class by class, and the run waits.
    page.get_by_role("tab", name=re.compile("^Shapes")).click()
    page.locator('.thumb[data-class="box"]').click()
    error = page.locator("#error-classes")
    expect(error).to_be_visible()
    expect(error).to_contain_text("0, 1 (Digits)")
    expect(error).to_contain_text("Box (Shapes)")
    expect(run_button).to_be_disabled()
    expect(page.locator("#run-message")).to_have_text("Pick the classes of one dataset to train.")
    assert fits_the_window(page)

    # Shapes only again: the paper's settings come back, and say so.
    for key in ("digits:0", "digits:1"):
        page.get_by_role("tab", name=re.compile("^Digits")).click()
        page.locator(f'.thumb[data-class="{key}"]').click()
    expect(error).to_be_hidden()
    page.get_by_role("tab", name=re.compile("^Shapes")).click()
    page.locator('.thumb[data-class="line"]').click()
    expect(status).to_contain_text("Settings for Shapes applied:")
    for name in DIGITS.defaults:
        expect_setting(page, name, paper[name])
    expect(run_button).to_be_enabled()
    assert not Experiment.objects.exists()


def test_a_digits_run_shows_its_test_accuracy_and_confusion_matrix(
    page: Page, live_server: Any, qcluster: Any, alice: Any, window: dict[str, int]
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    open_tab(page, "Digits")
    for key in ("digits:3", "digits:7"):
        page.locator(f'.thumb[data-class="{key}"]').click()
    expect(page.locator("#dataset-status")).to_contain_text("Settings for Digits applied")
    choose_epochs(page, 2)
    page.get_by_text("Advanced").click()
    page.get_by_label("Iteration cap").fill("5")
    page.get_by_role("button", name="Train and Visualize").click()
    row = page.locator(".result-row").first
    expect(row).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT_MS)

    experiment = Experiment.objects.get(owner=alice)
    assert experiment.class_keys == ["digits:3", "digits:7"]
    assert experiment.config["batch_size"] == DIGITS.defaults["batch_size"]
    assert experiment.test_accuracy is not None
    expect(row.locator(".result-test")).to_have_text(f"test {experiment.test_accuracy * 100:.1f}%")

    matrix = experiment.training["test_confusion"]
    total = sum(map(sum, matrix))
    block = row.locator(".confusion-block")
    expect(block).to_have_attribute("data-on", "test")
    summary = block.locator("summary")
    expect(summary).to_have_text(f"Confusion matrix on the {total} held-out test images")
    expect_usable(summary)
    page.keyboard.press("Enter")
    figure = block.locator("figure.confusion")
    expect(figure.locator(".heatmap-legend")).to_contain_text("Share of the true class's images")
    cells = figure.locator(".confusion-cell")
    expect(cells).to_have_count(4)
    svg = figure.locator("svg.confusion-svg")
    expect_in_the_window(svg)
    # Readable on a phone too: a cell is not shrunk below a finger's width.
    assert cells.first.locator("rect").bounding_box()["width"] >= 24

    # Each cell's count is written in it; hover shows its values beside it.
    counts = [int(text) for text in cells.locator("text").all_text_contents()]
    assert counts == [count for line in matrix for count in line]
    tip = figure.locator(".confusion-tip")
    cells.nth(1).hover()
    expect(tip).to_be_visible()
    wrong = matrix[0][1]
    expect(tip).to_contain_text(f"true 3, predicted 7: {wrong} image")
    expect_in_the_window(tip)
    # The keyboard reaches the cells: the first takes focus, the arrows move along.
    cells.first.focus()
    expect(tip).to_contain_text(f"true 3, predicted 3: {matrix[0][0]} image")
    page.keyboard.press("ArrowDown")
    expect(cells.nth(2)).to_be_focused()
    expect(tip).to_contain_text(f"true 7, predicted 3: {matrix[1][0]} image")
    assert fits_the_window(page)


def test_a_digit_class_is_highlighted_on_its_mean_training_image(
    page: Page, live_server: Any, alice: Any
) -> None:
    problems = page_problems(page)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    log_in(page, live_server.url, alice.username, PASSWORD)
    page.get_by_role("button", name="Highlight a class").click()
    choice = page.get_by_label("Class", exact=True)
    expect(choice.locator("optgroup[label=Digits] option")).to_have_count(10)
    choice.select_option("digits:3")
    expect(page.locator("#draw-status")).to_have_text("3 has no highlight yet.")
    # The grid's picture is the class's mean training image, which |r| is measured against.
    assert any(url.endswith("/datasets/classes/digits:3/template.png") for url in asked), asked
    page.get_by_label("Red: not part of the class").check()
    stroke(page, "highlight-canvas", (1, 1), (1, 3))
    page.get_by_role("button", name="Save highlight").click()
    expect(page.locator("#draw-status")).to_have_text("Saved the highlight of 3.")
    red = np.asarray(Highlight.objects.get(owner=alice, class_ref="digits:3").irrelevant)
    assert red[:4, :5].sum() == red.sum() > 0

    # A decoy digit starts from its dataset's own mask, the four corners its runs ignore.
    choice.select_option("decoy:3")
    expect(page.locator("#draw-status")).to_contain_text("the red is its dataset's own mask")
    page.get_by_role("button", name="Save highlight").click()
    expect(page.locator("#draw-status")).to_have_text("Saved the highlight of 3 (decoy).")
    saved = np.asarray(Highlight.objects.get(owner=alice, class_ref="decoy:3").irrelevant)
    assert np.array_equal(saved, datasets.default_irrelevant("decoy:3"))

    page.get_by_role("button", name="Close").click()
    page.get_by_role("tab", name=re.compile("^Digits")).click()
    expect(page.locator('.thumb[data-class="digits:3"]')).to_have_attribute(
        "data-highlighted", "true"
    )
    assert problems == []


def test_test_accuracy_on_the_history_and_compare_pages(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    shapes_run = finished_run(
        alice, 1, ["box", "line"], training={"confusion": [[9, 1], [0, 10]], "test_confusion": []}
    )
    matrix = [[70, 10], [5, 75]]
    digits_run = finished_run(
        alice,
        2,
        ["box", "line"],
        names={"box": "3", "line": "7"},
        test_accuracy=0.90625,
        training={"confusion": [[300, 20], [10, 310]], "test_confusion": matrix},
    )
    log_in(page, live_server.url, alice.username, PASSWORD)

    # The builder's rows: a shapes run stored with one matrix over its training and
    # validation images shows that one, there being no test set.
    row = page.locator(f"#experiment-{shapes_run.pk}")
    expect(row.locator(".result-test")).to_have_count(0)
    block = row.locator(".confusion-block")
    expect(block).to_have_attribute("data-on", "training")
    expect(block.locator("summary")).to_have_text(
        "Confusion matrix on the 20 training and validation images"
    )
    digits_row = page.locator(f"#experiment-{digits_run.pk}")
    expect(digits_row.locator(".result-test")).to_have_text("test 90.6%")
    expect(digits_row.locator(".confusion-block summary")).to_have_text(
        "Confusion matrix on the 160 held-out test images"
    )

    # The history's rows and its table.
    page.goto(f"{live_server.url}/history/")
    expect(page.locator(f"#experiment-{digits_run.pk} .result-test")).to_have_text("test 90.6%")
    expect(page.locator(f"#experiment-{shapes_run.pk} .result-test")).to_have_count(0)
    assert fits_the_window(page)
    page.goto(f"{live_server.url}/history/?view=table")
    header = page.locator("#run-table thead").get_by_role("button", name="Test accuracy")
    expect(header).to_be_visible()
    cell = page.locator(f"#run-table tr[data-id='{digits_run.pk}'] td[data-key=test_accuracy]")
    expect(cell).to_have_text("90.6%")
    expect(
        page.locator(f"#run-table tr[data-id='{shapes_run.pk}'] td[data-key=test_accuracy]")
    ).to_have_text("\u2013")  # the dash of a missing figure
    assert fits_the_window(page)

    # The compare view: test accuracy beside accuracy and validation accuracy.
    page.goto(f"{live_server.url}/compare/?ids={shapes_run.pk},{digits_run.pk}")
    column = page.locator(f"#compare-grid th[data-id='{digits_run.pk}']")
    expect(column.locator(".grid-sub")).to_have_text("accuracy 87.5%")
    expect(column.locator(".grid-accuracies")).to_have_text("validation 75.0% · test 90.6%")
    expect(
        page.locator(f"#compare-grid th[data-id='{shapes_run.pk}'] .grid-accuracies")
    ).to_have_text("validation 75.0%")
    assert fits_the_window(page)
