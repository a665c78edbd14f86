"""The Model Builder's sweep form in a real browser, on a desktop and a phone: the live count
of runs, the limit on a sweep's size, a refused value shown beside the setting it names, and a
sweep trained by a real worker, its page filling in as its runs finish."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from experiments.models import Experiment
from models_zoo.architectures import list_architectures
from sweeps.models import Sweep
from tests.browser.test_builder import choose_epochs
from tests.browser.test_history import log_in
from tests.browser.windows import expect_usable, fits_the_window

pytestmark = pytest.mark.browser

SWEEP_TIMEOUT_MS = 180_000

# Every change of the sweep page's status and dots, from its first drawing on: the test sees
# the page fill in even between two of its own checks.
RECORD_SWEEP = """
() => {
  window.sweepSeen = [];
  const record = () => {
    const status = document.getElementById('sweep-status');
    const chart = document.querySelector('#r-charts figure');
    if (!status || !status.textContent) return;
    const state = {
      status: status.textContent,
      dots: chart ? chart.querySelectorAll('.seed-dot').length : 0,
    };
    const last = window.sweepSeen[window.sweepSeen.length - 1];
    const same = last && last.status === state.status && last.dots === state.dots;
    if (!same) window.sweepSeen.push(state);
  };
  const start = () => new MutationObserver(record).observe(document.body, {
    subtree: true, childList: true, characterData: true,
  });
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
}
"""


def pick(page: Page, *keys: str) -> None:
    for key in keys:
        page.locator(f'.thumb[data-class="{key}"]').click()


def open_sweep_form(page: Page) -> None:
    """The section is closed at first; the keyboard opens it."""
    summary = page.locator("#sweep-panel summary")
    expect(page.locator("#sweep-form")).to_be_hidden()
    expect_usable(summary)
    page.keyboard.press("Enter")
    expect(page.locator("#sweep-form")).to_be_visible()


def test_the_form_counts_the_runs_and_shows_a_refusal_beside_its_setting(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    log_in(page, live_server.url, alice.username)
    pick(page, "box", "line")
    open_sweep_form(page)
    count = page.locator("#sweep-count")
    seeds = page.get_by_label("Number of seeds")
    expect(seeds).to_have_value("5")
    expect(count).to_have_text("1 setting x 5 seeds = 5 runs.")

    # A number setting takes values separated by commas; a choice setting, boxes to tick.
    first = page.locator("#sweep-setting-1")
    expect_usable(first)
    first.select_option(label="Epochs")
    values = page.get_by_label("Values of Epochs")
    expect_usable(values)
    values.fill("2, 3")
    expect(count).to_have_text("2 settings x 5 seeds = 10 runs.")
    second = page.locator("#sweep-setting-2")
    # A setting varied in one row is not offered in the other.
    expect(second.locator("option[value=epochs]")).to_be_disabled()
    second.select_option(label="Model")
    choices = page.get_by_role("group", name="Values of Model")
    expect(choices.get_by_role("checkbox")).to_have_count(len(list_architectures()))
    for box in choices.get_by_role("checkbox").all()[:2]:
        expect_usable(box)
        page.keyboard.press("Space")
    expect(count).to_have_text("4 settings x 5 seeds = 20 runs.")

    # More than a sweep may have: said before anything is sent, and the button waits.
    seeds.fill("20")
    values.fill("1, 2, 3, 4, 5, 6")
    expect(count).to_have_text(
        "12 settings x 20 seeds = 240 runs: more than the 200 a sweep may have."
    )
    expect(count).to_have_class(re.compile("is-over"))
    button = page.get_by_role("button", name="Train sweep")
    expect(button).to_be_disabled()
    seeds.fill("2")
    expect(count).to_have_text("12 settings x 2 seeds = 24 runs.")
    expect(button).to_be_enabled()

    # The server refuses a value: its message beside the setting it names, nothing created.
    values.fill("0, 2")
    button.click()
    error = page.locator("#error-sweep-vary-1")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"^Epochs: .*0.*at least 1"))
    expect(values).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(f"{live_server.url}/builder/")
    assert not Sweep.objects.exists()
    assert not Experiment.objects.exists()
    assert fits_the_window(page)

    # A setting above that is out of bounds is named beside its own field.
    values.fill("1, 2")
    page.get_by_text("Advanced").click()
    page.get_by_label("Copies per class").fill("0")
    button.click()
    expect(page.locator("#error-copies")).to_contain_text("Copies per class")
    expect(page.locator("#sweep-error")).to_contain_text(
        "Check the settings above: Copies per class."
    )
    assert not Sweep.objects.exists()


def test_a_sweep_from_the_builder_trains_and_its_page_fills_in(
    page: Page, live_server: Any, start_cluster: Any, alice: Any
) -> None:
    log_in(page, live_server.url, alice.username)
    pick(page, "box", "line")
    choose_epochs(page, 2)
    page.get_by_text("Advanced").click()
    page.get_by_label("Copies per class").fill("40")
    page.get_by_label("Iteration cap").fill("5")
    page.get_by_label("Seed", exact=True).fill("11")
    open_sweep_form(page)
    page.get_by_label("Number of seeds").fill("2")
    page.locator("#sweep-setting-1").select_option(label="Epochs")
    page.get_by_label("Values of Epochs").fill("1, 2")
    expect(page.locator("#sweep-count")).to_have_text("2 settings x 2 seeds = 4 runs.")

    page.add_init_script(f"({RECORD_SWEEP})()")
    page.get_by_role("button", name="Train sweep").click()
    expect(page).to_have_url(re.compile(r"/sweeps/\d+/$"))
    sweep = Sweep.objects.get(owner=alice)
    assert page.url == f"{live_server.url}/sweeps/{sweep.pk}/"
    assert sweep.seeds == 2 and sweep.vary == {"epochs": [1, 2]}
    assert sweep.config["max_steps"] == 5 and sweep.config["copies"] == 40
    page.evaluate("window.notReloaded = true")
    expect(page.locator("#sweep-status")).to_have_text("Queued")
    # The worker starts only now, so the page is open before any run has finished.
    start_cluster(workers=1)

    expect(page.locator("#sweep-status")).to_have_text("Done", timeout=SWEEP_TIMEOUT_MS)
    for key in ("box", "line"):
        expect(page.locator(f"#r-charts figure[data-class={key}] .seed-dot")).to_have_count(4)
    expect(page.locator("#accuracy-chart .seed-dot")).to_have_count(4)
    expect(page.locator("#sweep-counts")).to_contain_text("4 of 4 done")
    assert page.evaluate("window.notReloaded") is True
    seen = page.evaluate("window.sweepSeen")
    # It opened before the runs had finished and followed them to the end, without a reload.
    assert seen[0]["status"] in {"Queued", "Running"} and seen[0]["dots"] < 4, seen
    assert seen[-1] == {"status": "Done", "dots": 4}, seen
    members = sweep.members.select_related("experiment")
    assert sorted((m.seed, m.values["epochs"]) for m in members) == [
        (11, 1),
        (11, 2),
        (12, 1),
        (12, 2),
    ]
    assert all(m.experiment.status == "done" for m in members)


def test_layer_sizes_are_varied_as_lists(
    page: Page, live_server: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker, which never comes here
    log_in(page, live_server.url, alice.username)
    pick(page, "box", "line")
    open_sweep_form(page)
    page.get_by_label("Number of seeds").fill("2")
    page.locator("#sweep-setting-1").select_option("mlp_layers")
    values = page.locator("#sweep-values-1")
    expect(page.locator("#sweep-values-help-1")).to_contain_text("semicolons")
    values.fill("64; 128, 64")
    expect(page.locator("#sweep-count")).to_have_text("2 settings x 2 seeds = 4 runs.")
    page.get_by_role("button", name="Train sweep").click()
    expect(page).to_have_url(re.compile(r"/sweeps/\d+/$"))
    sweep = Sweep.objects.get(owner=alice)
    assert sweep.vary == {"mlp_layers": [[64], [128, 64]]}
    expect(page.locator("#sweep-what")).to_contain_text(
        "Hidden layers (64, 128-64) over 2 seeds: 4 runs"
    )
    expect(page.locator("#sweep-status")).to_have_text("Queued")
