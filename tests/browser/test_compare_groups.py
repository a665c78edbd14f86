"""Seed groups in the compare view, in a desktop's window and a phone's: runs whose settings
differ only in the seed are one column with mean ± sd and a dot per seed, beside a run that
stands alone; without a group, the section stays hidden."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser.windows import expect_in_the_window, fits_the_window
from tests.conftest import PASSWORD
from tests.factories import finished_run

pytestmark = pytest.mark.browser

LINE_RS = [0.72, 0.35, 0.87]
BOX_RS = [0.30, 0.20, 0.10]


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/builder/")
    page.wait_for_load_state()


def test_a_seed_group_shows_mean_and_sd_with_its_seeds_beside_a_single_run(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    seeds = [
        finished_run(alice, seed=seed, classes=["line", "box"], rs=[line, box])
        for seed, line, box in zip((1, 2, 3), LINE_RS, BOX_RS, strict=True)
    ]
    single = finished_run(alice, seed=1, model="cnn", classes=["line", "box"], rs=[0.9, 0.8])
    base = live_server.url
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, alice.username)
    ids = ",".join(str(run.pk) for run in [seeds[0], single, seeds[1], seeds[2]])
    page.goto(f"{base}/compare/?ids={ids}")

    section = page.locator("#groups-section")
    expect(section).to_be_visible()
    heads = page.locator("#group-table thead th.group-head")
    expect(heads).to_have_count(2)  # the group, then the CNN on its own
    numbers = ", ".join(f"[{run.number}]" for run in seeds)
    expect(heads.nth(0)).to_contain_text(f"MLP \u00d7 3 seeds ({numbers})")
    expect(heads.nth(0)).to_contain_text("3 runs, seeds 1, 2, 3")
    expect(heads.nth(1)).to_contain_text(f"[{single.number}] CNN")

    line = page.locator("#group-table tbody tr", has_text="|r| Vertical line")
    mean, sd = np.mean(LINE_RS), np.std(LINE_RS, ddof=1)
    group_cell = line.locator("td").nth(0)
    expect(group_cell.locator(".group-stat")).to_have_text(f"{mean:.2f} \u00b1 {sd:.2f}")
    expect(group_cell.locator(".group-n")).to_have_text("n = 3")
    expect(group_cell.locator("circle.dot")).to_have_count(3)
    expect(group_cell.locator("line.mean-mark")).to_have_count(1)
    expect(group_cell.locator("svg")).to_have_attribute(
        "aria-label", re.compile(rf"seed 2 \[{seeds[1].number}\]: 0\.35")
    )
    single_cell = line.locator("td").nth(1)
    expect(single_cell.locator(".group-stat")).to_have_text("0.90")
    expect(single_cell.locator("circle.dot")).to_have_count(1)
    expect(single_cell.locator(".group-n")).to_have_count(0)

    box = page.locator("#group-table tbody tr", has_text="|r| Box")
    expect(box.locator("td").nth(0).locator(".group-stat")).to_have_text(
        f"{np.mean(BOX_RS):.2f} \u00b1 {np.std(BOX_RS, ddof=1):.2f}"
    )
    accuracy = page.locator("#group-table tbody tr", has_text="Validation accuracy")
    expect(accuracy.locator("td").nth(0).locator("circle.dot")).to_have_count(3)
    expect(page.locator("#group-table tbody tr").first.locator("td").nth(0)).to_contain_text("%")

    # On a phone the table scrolls inside its box: the page itself does not.
    expect_in_the_window(page.get_by_role("heading", name="Seed groups: mean \u00b1 sd"))
    assert fits_the_window(page)
    assert errors == []


def test_without_a_seed_group_the_section_stays_hidden(
    page: Page, live_server: Any, alice: Any
) -> None:
    runs = [
        finished_run(alice, seed=1, classes=["line", "box"]),
        finished_run(alice, seed=1, model="cnn", classes=["line", "box"]),
    ]
    base = live_server.url
    log_in(page, base, alice.username)
    page.goto(f"{base}/compare/?ids={runs[0].pk},{runs[1].pk}")
    expect(page.locator("#compare-grid tbody tr")).to_have_count(2)
    expect(page.locator("#groups-section")).to_be_hidden()
