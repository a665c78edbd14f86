"""The history's run table in a real browser, in a desktop's window and a phone's: sorting
by a header (pointer and keyboard), the text filter, the choice of columns (remembered),
the CSV of what is shown, and two rows picked for the compare view."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pytest
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from experiments import lifecycle
from experiments.models import Experiment
from experiments.results import experiment_finish
from tests.browser.windows import expect_usable, fits_the_window, is_phone
from tests.conftest import PASSWORD
from tests.factories import finished_run, made_up_outcome, queued_run

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/builder/")
    page.wait_for_load_state()


def runs_of(alice: Any, bob: Any) -> list[Experiment]:
    """Three of alice's runs with different accuracies (epochs) and |r|; one of bob's."""
    made = [
        finished_run(alice, seed=21, classes=["line", "box"], rs=[0.7, 0.1], epochs=5),
        finished_run(alice, seed=22, model="cnn", classes=["line", "box"], rs=[0.2, 0.3], epochs=2),
        finished_run(
            alice, seed=23, classes=["line", "circle"], rs=[0.9, 0.6], epochs=9, tags=["wide"]
        ),
    ]
    finished_run(bob, seed=24, classes=["line", "box"], tags=["bobs"])
    return made


def shown_numbers(page: Page) -> list[str]:
    return page.locator("#run-table tbody .run-cell label").all_text_contents()


def header(page: Page, label: str) -> Any:
    return page.locator("#run-table thead").get_by_role("button", name=label, exact=True)


def test_sort_filter_choose_columns_export_and_compare(
    page: Page, live_server: Any, alice: Any, bob: Any, window: dict[str, int]
) -> None:
    first, cnn, wide = runs_of(alice, bob)
    base = live_server.url
    # The page's scripts and styles load under the site's CSP, and nothing fails.
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, alice.username)
    page.evaluate("() => localStorage.clear()")
    page.goto(f"{base}/history/")
    page.get_by_role("link", name="Table of figures").click()
    expect(page).to_have_url(f"{base}/history/?view=table")
    expect(page.locator("#table-status")).to_have_text("3 runs shown.")
    # Newest first, as the history lists them; bob's run is not there.
    assert shown_numbers(page) == ["[3]", "[2]", "[1]"]
    expect(page.get_by_text("bobs")).to_have_count(0)
    row = page.locator(f"#run-table tr[data-id='{wide.pk}']")
    expect(row.locator("td[data-key=mean_r]")).to_have_text("0.75")
    expect(row.locator("td[data-key='r:circle']")).to_have_text("0.60")
    expect(row.locator("td[data-key=tags]")).to_have_text("wide")
    page_link = row.get_by_role("link", name=f"Open run {wide.number}'s page")
    expect(page_link).to_have_attribute("href", f"/experiments/{wide.pk}/")
    expect(row.locator("td[data-key=model]")).to_have_text("MLP")

    # A header sorts by its column, ascending first, then descending; the order is in the
    # address and said to screen readers.
    accuracy = header(page, "Accuracy")
    expect_usable(accuracy)
    accuracy.click()
    expect(page.locator("#run-table th[aria-sort=ascending]")).to_have_attribute(
        "data-key", "accuracy"
    )
    assert shown_numbers(page) == ["[2]", "[1]", "[3]"]  # 2, 5 then 9 epochs
    expect(page).to_have_url(re.compile(r"sort=accuracy"))
    header(page, "Accuracy").click()
    expect(page.locator("#run-table th[aria-sort=descending]")).to_have_count(1)
    assert shown_numbers(page) == ["[3]", "[1]", "[2]"]
    # By keyboard: the header's button takes the focus and Enter sorts (focus stays on it).
    mean = header(page, "Mean |r|")
    mean.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#run-table th[aria-sort=ascending]")).to_have_attribute(
        "data-key", "mean_r"
    )
    assert shown_numbers(page) == ["[2]", "[1]", "[3]"]  # 0.25, 0.40, 0.75
    expect(header(page, "Mean |r|")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#run-table th[aria-sort=descending]")).to_have_attribute(
        "data-key", "mean_r"
    )
    assert shown_numbers(page) == ["[3]", "[1]", "[2]"]

    # Hide a column: it goes, and stays gone on the next visit (this browser remembers).
    page.get_by_text("Columns", exact=True).click()
    page.locator("#column-list").get_by_label("Seed", exact=True).uncheck()
    expect(header(page, "Seed")).to_have_count(0)
    expect(page.locator("#run-table td[data-key=seed]")).to_have_count(0)
    page.reload()
    expect(page.locator("#table-status")).to_have_text("3 runs shown.")
    expect(header(page, "Seed")).to_have_count(0)
    expect(header(page, "Accuracy")).to_have_count(1)
    # The reload kept the order too.
    assert shown_numbers(page) == ["[3]", "[1]", "[2]"]

    # The text filter narrows the rows as one types.
    page.get_by_label("Find runs").fill("box")
    expect(page.locator("#table-status")).to_have_text("2 runs shown.")
    assert shown_numbers(page) == ["[1]", "[2]"]

    # The CSV holds exactly what is shown: these rows in this order, these columns.
    href = page.locator("#table-csv").get_attribute("href")
    assert href is not None
    answer = page.request.get(f"{base}{href}")
    assert answer.ok
    lines = list(csv.DictReader(io.StringIO(answer.text())))
    assert [line["number"] for line in lines] == ["1", "2"]
    shown_keys = page.locator("#run-table thead th").evaluate_all(
        "cells => cells.map(cell => cell.dataset.key)"
    )
    assert list(lines[0]) == shown_keys
    assert "seed" not in lines[0] and "r:box" in lines[0]
    assert float(lines[0]["mean_r"]) == pytest.approx(0.4)

    # Pick two rows and open them in the compare view.
    page.get_by_label(f"Select experiment {cnn.number} to compare").check()
    page.get_by_label(f"Select experiment {first.number} to compare").check()
    expect(page.locator("#selection-status")).to_contain_text("2 selected")
    expect(page.locator(f"#run-table tr[data-id='{cnn.pk}']")).to_have_class(
        re.compile("is-selected")
    )
    page.get_by_role("button", name="Compare selected").click()
    expect(page).to_have_url(f"{base}/compare/?ids={cnn.pk},{first.pk}&all=0&base={cnn.pk}")
    expect(page.locator("#compare-grid tbody tr")).to_have_count(2)
    assert errors == []


def test_the_table_scrolls_inside_its_box_with_the_run_column_in_view(
    page: Page, live_server: Any, alice: Any, bob: Any, window: dict[str, int]
) -> None:
    runs_of(alice, bob)
    base = live_server.url
    log_in(page, base, alice.username)
    page.evaluate("() => localStorage.clear()")
    page.goto(f"{base}/history/?view=table")
    expect(page.locator("#table-status")).to_have_text("3 runs shown.")
    # The page never scrolls sideways; a table wider than its box scrolls inside it.
    assert fits_the_window(page)
    box = page.locator("#run-table-scroll")
    wider = box.evaluate("node => node.scrollWidth > node.clientWidth")
    if is_phone(window):
        assert wider
    if wider:
        box.evaluate("node => { node.scrollLeft = node.scrollWidth; }")
        # The run's number and box stay at the left edge of the scrolled table.
        cell = page.locator("#run-table tbody .run-cell").first
        left = box.evaluate("node => node.getBoundingClientRect().left")
        cell_box = cell.bounding_box()
        assert cell_box is not None and abs(cell_box["x"] - left) <= 2
        expect_usable(cell.locator("input"))
    assert fits_the_window(page)


def test_a_run_that_ends_shows_its_figures_and_the_focus_stays(
    page: Page, live_server: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker, which never comes here
    done = finished_run(alice, seed=31, classes=["line", "box"], rs=[0.5, 0.5])
    waiting = queued_run(alice, classes=["line", "box"], seed=32)
    base = live_server.url
    log_in(page, base, alice.username)
    page.goto(f"{base}/history/?view=table&sort=-mean_r")
    row = page.locator(f"#run-table tr[data-id='{waiting.pk}']")
    expect(row.locator("td[data-key=status]")).to_have_text("Queued")
    expect(row.locator("td[data-key=accuracy]")).to_have_text("\u2013")
    # Sorted by mean |r|, the run without one comes last.
    assert shown_numbers(page) == [f"[{done.number}]", f"[{waiting.number}]"]
    box = page.get_by_label(f"Select experiment {done.number} to compare")
    box.focus()
    assert lifecycle.experiment_start(experiment_id=waiting.pk)
    outcome = made_up_outcome(
        waiting, rs=[0.9, 0.7], snapshot_frames=0, rng=np.random.default_rng(2)
    )
    assert experiment_finish(experiment_id=waiting.pk, outcome=outcome)
    expect(row.locator("td[data-key=status]")).to_have_text("Done")
    expect(row.locator("td[data-key=mean_r]")).to_have_text("0.80")
    # Drawn again in its order, the focus where it was.
    assert shown_numbers(page) == [f"[{waiting.number}]", f"[{done.number}]"]
    expect(page.get_by_label(f"Select experiment {done.number} to compare")).to_be_focused()
