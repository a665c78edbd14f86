"""Follow-up runs from a finished row of the Model Builder: the same settings with a new
seed, and new images from the stored weights, on a desktop and a phone. Trained for real (the
queue runs in-process)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from experiments import services
from experiments.models import Experiment
from tests.browser.test_builder import log_in
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window
from tests.conftest import PASSWORD
from tests.factories import TINY_MLP_THREE_CLASSES, trained_run

pytestmark = pytest.mark.browser


def test_run_again_and_new_images_from_a_finished_row(
    page: Page, live_server: Any, alice: Any, bob: Any, window: dict[str, int]
) -> None:
    # Another user's run first, so that alice's database ids are not her run numbers.
    services.experiment_create(user=bob, config={**TINY_MLP_THREE_CLASSES, "epochs": 1, "seed": 1})
    source = trained_run(alice, TINY_MLP_THREE_CLASSES, seed=5)
    log_in(page, live_server.url, alice.username, PASSWORD)
    rows = page.locator(".result-row")
    expect(rows).to_have_count(1)
    first = page.locator(f"#experiment-{source.pk}")

    # The same settings again with a new seed: a new row on top, marked as a re-run.
    run_again = first.get_by_role("button", name="Run experiment 1 again with a new seed")
    expect_usable(run_again)
    run_again.click()
    expect(rows).to_have_count(2)
    rerun_row = rows.first
    expect(rerun_row).to_have_attribute("data-status", "done", timeout=60_000)
    expect(rerun_row.locator(".result-origin")).to_have_text("a re-run of [1]")
    expect(first.locator(".follow-up-status")).to_contain_text("Started [2]")
    rerun = Experiment.objects.get(owner=alice, number=2)
    assert rerun.source_id == source.pk and rerun.kind == "train"
    assert rerun.seed != source.seed
    assert {k: v for k, v in rerun.config.items() if k != "seed"} == {
        k: v for k, v in source.config.items() if k != "seed"
    }

    # New images from the stored weights, with other image settings; a bad step first.
    new_images_button = first.get_by_role(
        "button", name="New images from the weights of experiment 1"
    )
    expect_usable(new_images_button)
    new_images_button.click()
    form = first.locator(".follow-up-form")
    expect(form).to_be_visible()
    for control in (form.get_by_label("Initial image"), form.get_by_label("Step size")):
        expect_usable(control)
    expect_usable(form.get_by_role("button", name="Generate"))
    assert fits_the_window(page)
    form.get_by_label("Initial image").select_option("white")
    form.get_by_label("Step size").fill("0")
    form.get_by_role("button", name="Generate").click()
    # The error names the field by its label, as the form does.
    expect(first.locator(".follow-up-status")).to_have_text(
        re.compile(r"^Step size: must be more than 0 ")
    )
    assert Experiment.objects.filter(owner=alice).count() == 2  # nothing queued
    form.get_by_label("Step size").fill("0.01")
    form.get_by_role("button", name="Generate").click()
    expect(rows).to_have_count(3)
    images_row = rows.first
    expect(images_row).to_have_attribute("data-status", "done", timeout=60_000)
    expect(images_row.locator(".result-origin")).to_have_text("new images from the weights of [1]")
    expect(form).to_be_hidden()
    expect(
        first.get_by_role("button", name="New images from the weights of experiment 1")
    ).to_have_attribute("aria-expanded", "false")
    expect(images_row.locator(".card")).to_have_count(3)
    new_images = Experiment.objects.get(owner=alice, number=3)
    assert new_images.kind == "revisualize" and new_images.source_id == source.pk
    assert new_images.config["initial_image"] == "white"
    assert new_images.config["step_size"] == 0.01
    assert source.weights_sha256 and new_images.weights_sha256 == source.weights_sha256

    # After a reload the rows are drawn newest first, each follow-up before its source: they
    # still name the source by alice's number, not by its database id.
    assert source.pk != source.number
    page.reload()
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".result-origin")).to_have_text("new images from the weights of [1]")
    expect(rows.nth(1).locator(".result-origin")).to_have_text("a re-run of [1]")
    expect(rows.nth(2).locator(".result-origin")).to_have_count(0)
    for origin in rows.locator(".result-origin").all():
        expect_in_the_window(origin)
    assert fits_the_window(page)
