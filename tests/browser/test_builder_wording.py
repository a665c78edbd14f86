"""The Model Builder's small words: counts in the right number, one unit in the highlight
effects table, and a new class derived from another named after it, never after the class
drawn before."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from drawing.models import ShapeClass
from experiments.models import Experiment
from models_zoo import shapes
from tests.browser.test_builder import log_in
from tests.browser.test_builder_layout import finished_run
from tests.browser.test_draw import stroke
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_counts_take_the_right_number(page: Page, live_server: Any, alice: Any) -> None:
    experiment = finished_run(alice, 1, ["box", "line"])
    experiment.config = {**experiment.config, "epochs": 1, "max_steps": 1}
    experiment.save(update_fields=["config"])
    experiment.results.filter(class_key="line").update(steps=1, reached=True)
    experiment.results.filter(class_key="box").update(steps=1, reached=False)
    log_in(page, live_server.url, alice.username, PASSWORD)
    row = page.locator(f"#experiment-{experiment.pk}")
    expect(row.locator(".result-title")).to_have_text("[1]: MLP, , 0.005, 1 epoch")
    expect(row.locator('.card[data-class="line"] .card-reached')).to_have_text(
        "✓ reached p > 0.99 in 1 step"
    )
    expect(row.locator('.card[data-class="box"] .card-reached')).to_have_text(
        "✗ not reached within the cap of 1 step (p = 0.42)"
    )


def test_the_highlight_effects_table_writes_every_share_as_a_percentage(
    page: Page, live_server: Any, alice: Any
) -> None:
    plain = finished_run(
        alice,
        1,
        ["box", "line"],
        highlight_effects=[
            {"key": "box", "area_share": 0.125, "energy_share": 0.4, "saliency_share": 0.375}
        ],
    )
    highlighted = finished_run(
        alice,
        2,
        ["box", "line"],
        highlight_baseline=plain,
        highlight_effects=[
            {"key": "box", "area_share": 0.125, "energy_share": 0.05, "saliency_share": 0.066}
        ],
    )
    highlighted.config = {**highlighted.config, "highlight": "rrr", "highlight_lambda": 10.0}
    highlighted.save(update_fields=["config"])
    log_in(page, live_server.url, alice.username, PASSWORD)
    table = page.locator(f"#experiment-{highlighted.pk} .effects-table")
    expect(table.locator("tbody td")).to_have_text(["12.5%", "5.0%", "6.6%", "40.0%", "37.5%"])
    expect(table.locator("caption")).to_contain_text("0% = ignored")


def test_a_derived_class_is_named_after_its_source_not_the_last_drawing(
    page: Page, live_server: Any, alice: Any
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    page.get_by_role("button", name="Draw a class").click()
    name = page.get_by_label("Name", exact=True)
    name.fill("House")
    stroke(page, "draw-canvas", (10, 10), (10, 18))
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-status")).to_contain_text("Saved “House”")
    house = ShapeClass.objects.get(owner=alice, name="House")

    # Deriving right after saving starts a new class: the saved one's name does not carry over.
    page.get_by_label("Derive from").select_option("tri")
    page.get_by_role("button", name="Start from it").click()
    expect(name).to_have_value("Triangle variant")
    expect(page.locator("#draw-title")).to_have_text("Draw a class")
    expect(page.locator("#draw-save")).to_have_text("Save class")
    # A second derive renames the suggestion; a name the user typed is kept.
    page.get_by_label("Derive from").select_option("box")
    page.get_by_role("button", name="Start from it").click()
    expect(name).to_have_value("Box variant")
    name.fill("Mine")
    page.get_by_label("Derive from").select_option("line")
    page.get_by_role("button", name="Start from it").click()
    expect(name).to_have_value("Mine")
    page.get_by_role("button", name="Save class").click()
    expect(page.locator("#draw-status")).to_contain_text("Saved “Mine”")

    mine = ShapeClass.objects.get(owner=alice, name="Mine")
    assert np.array_equal(np.asarray(mine.pixels), shapes.image("line"))
    house.refresh_from_db()
    assert house.name == "House" and np.asarray(house.pixels)[10, 10:19].min() == 1.0
    assert ShapeClass.objects.filter(owner=alice).count() == 2
    assert not Experiment.objects.exists()
