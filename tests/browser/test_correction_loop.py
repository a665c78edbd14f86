"""The correction loop on a run's page, in a desktop and a phone window: a map shown, the
highlight editor opens on its class with the map as a faint guide, a red corner is painted
and saved, the run is trained again with the penalty, and the new run's page (then the
source run's) shows the map before and after side by side with the share inside the red
region. The workers' tasks are run here, on real tiny models."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from drawing.models import Highlight
from experiments import tasks as experiment_tasks
from experiments.models import Experiment
from inspector import tasks
from inspector.models import AttributionMap
from tests.browser.test_draw import stroke
from tests.browser.test_history import log_in
from tests.browser.test_run_inspect import COLOURED, OPACITY
from tests.browser.windows import fits_the_window
from tests.factories import TINY_MLP, trained_run

pytestmark = pytest.mark.browser

CORNER = [
    (row, col) for row in range(4) for col in (range(4) if row % 2 == 0 else range(3, -1, -1))
]


def show_map(page: Page, experiment: Experiment) -> None:
    page.locator("#attribution-class").select_option("box")
    page.locator("#attribution-method").select_option("saliency")
    page.get_by_role("button", name="Show the map").click()
    expect(page.locator("#attribution-progress")).to_contain_text("Computing")
    row = AttributionMap.objects.get(experiment=experiment, class_key="box")
    assert tasks.compute_attribution(row.pk) == "done"
    expect(page.locator("#attribution-view")).to_be_visible(timeout=10_000)


def test_mark_the_wrong_reason_train_again_and_compare(
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
    opener = page.locator("#correction-open")
    expect(opener).to_be_hidden()
    show_map(page, run)

    expect(opener).to_have_text("Mark the wrong reason in Box")
    opener.click()
    panel = page.locator("#correction-panel")
    expect(panel).to_be_visible()
    expect(opener).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#correction-status")).to_contain_text("Box has no highlight yet")
    guide = page.locator("#correction-guide")
    assert guide.evaluate(COLOURED) > 0
    assert guide.evaluate(OPACITY) == "0.4"
    train = page.get_by_role("button", name="Train again with the penalty")
    expect(train).to_be_disabled()

    # Saving with no red says what to do; then a red top-left corner is painted and saved.
    page.get_by_role("button", name="Save highlight").click()
    expect(page.locator("#correction-error")).to_contain_text("Paint a red region first")
    page.locator("#correction-canvas").scroll_into_view_if_needed()
    stroke(page, "correction-canvas", *CORNER)
    page.get_by_role("button", name="Save highlight").click()
    expect(page.locator("#correction-status")).to_contain_text("Saved the highlight of Box")
    highlight = Highlight.objects.get(owner=alice, class_ref="box")
    assert all(highlight.irrelevant[row][col] == 1 for row, col in CORNER)
    assert sum(map(sum, highlight.irrelevant)) == len(CORNER)
    assert fits_the_window(page)

    expect(train).to_be_enabled()
    train.click()
    link = page.locator("#correction-run")
    expect(link).to_be_visible()
    corrected = Experiment.objects.get(source=run)
    assert corrected.config == {**run.config, "highlight": "rrr"}
    experiment_tasks.train_and_visualize(corrected.pk)
    corrected.refresh_from_db()
    assert corrected.status == Experiment.Status.DONE, corrected.error
    link.click()
    expect(page).to_have_url(f"{live_server.url}/experiments/{corrected.pk}/")

    section = page.locator("#before-after-section")
    expect(section).to_be_visible()
    expect(page.locator("#before-after-source")).to_have_attribute(
        "href", f"/experiments/{run.pk}/"
    )
    page.locator("#before-after-class").select_option("box")
    page.locator("#before-after-method").select_option("saliency")
    page.get_by_role("button", name="Show both maps").click()
    expect(page.locator("#before-after-progress")).to_contain_text("Computing")
    # The source's map was computed already; the corrected run's is asked for now.
    row = AttributionMap.objects.get(experiment=corrected, class_key="box", method="saliency")
    assert tasks.compute_attribution(row.pk) == "done"
    view = page.locator("#before-after-view")
    expect(view).to_be_visible(timeout=10_000)
    for side in ("before", "after"):
        assert page.locator(f"#{side}-map").evaluate(COLOURED) > 0
        expect(page.locator(f"#{side}-caption")).to_contain_text(
            "of the attribution inside the red region"
        )
    expect(page.locator("#before-caption")).to_contain_text(
        f"Before (the source, run [{run.number}])"
    )
    expect(page.locator("#after-caption")).to_contain_text("After (this run)")
    captions = [page.locator(f"#{side}-caption").inner_text() for side in ("before", "after")]
    assert fits_the_window(page)

    # The source run's page shows the same pair: its follow-up named as the correction.
    page.locator("#before-after-source").click()
    expect(page).to_have_url(f"{live_server.url}/experiments/{run.pk}/")
    expect(page.locator("#follow-ups")).to_contain_text(
        f"Run [{corrected.number}]: trained again with the penalty on the red regions"
    )
    expect(page.locator("#before-after-section")).to_be_visible()
    expect(page.locator("#before-after-pair-field")).to_be_hidden()  # one pair only
    expect(page.locator("#before-after-corrected")).to_have_attribute(
        "href", f"/experiments/{corrected.pk}/"
    )
    page.locator("#before-after-class").select_option("box")
    page.locator("#before-after-method").select_option("saliency")
    page.get_by_role("button", name="Show both maps").click()
    expect(view).to_be_visible(timeout=10_000)  # both maps are stored now
    expect(page.locator("#before-caption")).to_contain_text("Before (this run)")
    expect(page.locator("#after-caption")).to_contain_text(f"After (run [{corrected.number}])")
    # The same two maps and region as on the corrected run's page: the same shares.
    share = r"[0-9.]+% of the attribution inside the red region"
    for side, caption in zip(("before", "after"), captions, strict=True):
        expected = re.search(share, caption)
        assert expected is not None, caption
        expect(page.locator(f"#{side}-caption")).to_contain_text(expected.group(0))
    assert fits_the_window(page)
