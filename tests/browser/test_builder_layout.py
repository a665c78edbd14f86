"""The Model Builder's result rows fit their window: on a phone and on a desktop, no row, card
or image reaches past its container, and the page never scrolls sideways."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from experiments.models import ClassResult, Experiment
from models_zoo import render, shapes
from models_zoo.config import RunConfig
from tests.browser.test_builder import log_in
from tests.browser.windows import fits_the_window, is_phone
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# Everything in the results that pokes out of what holds it, measured by the browser: each
# row against the results list, each card against its row, each image against its card's
# inner box, and every box's own content against its box (scrollWidth). Half a pixel of
# rounding is allowed.
OVERFLOWS = """
() => {
  const problems = [];
  const inner = (node) => {
    const box = node.getBoundingClientRect();
    const style = getComputedStyle(node);
    return {
      left: box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft),
      right: box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight),
    };
  };
  const check = (node, holder, what) => {
    const box = node.getBoundingClientRect();
    const room = inner(holder);
    if (box.left < room.left - 0.5 || box.right > room.right + 0.5) {
      problems.push(`${what} spans ${box.left.toFixed(0)}..${box.right.toFixed(0)}`
        + ` in ${room.left.toFixed(0)}..${room.right.toFixed(0)}`);
    }
    if (box.right > window.innerWidth + 0.5) problems.push(`${what} passes the window's edge`);
  };
  const list = document.getElementById('results');
  for (const row of list.querySelectorAll('.result-row')) {
    const name = `row ${row.dataset.id}`;
    check(row, list, name);
    if (row.scrollWidth > row.clientWidth + 1) problems.push(`${name} overflows itself`);
    const parts = row.querySelectorAll('.result-header > *, .cards, .effects, .follow-ups');
    for (const part of parts) {
      check(part, row, `${name} ${part.className}`);
    }
    for (const card of row.querySelectorAll('.card')) {
      const cardName = `${name} card ${card.dataset.class}`;
      check(card, row.querySelector('.cards'), cardName);
      for (const image of card.querySelectorAll('img')) {
        check(image, card, `${cardName} ${image.className}`);
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  }
  return problems;
}
"""


def finished_run(
    owner: Any, number: int, keys: list[str], names: dict[str, str] | None = None, **fields: Any
) -> Experiment:
    """A run with one result per class, stored as a worker leaves it, with its images;
    ``names`` gives some classes the name a user might have drawn them under."""
    config = RunConfig(classes=tuple(keys), max_steps=2000, seed=number).to_dict()
    experiment = Experiment.objects.create(
        owner=owner,
        number=number,
        config=config,
        model_name="mlp",
        class_keys=keys,
        seed=number,
        status="done",
        accuracy=0.875,
        loss=0.25,
        val_accuracy=0.75,
        **fields,
    )
    for position, key in enumerate(keys):
        image = shapes.image(key) * 0.7 if not shapes.get(key).is_noise else np.zeros((28, 28))
        result = ClassResult(
            experiment=experiment,
            position=position,
            class_key=key,
            name=(names or {}).get(key, shapes.get(key).name),
            image_raw=image.astype(np.float32).tobytes(),
            r=0.5 if position % 2 else None,
            steps=2000,
            reached=bool(position % 2),
            probability=0.42,
        )
        template = shapes.image(key, np.random.default_rng(0))
        result.image.save(f"{key}-image.png", ContentFile(render.to_png(image)), False)
        result.template.save(f"{key}-template.png", ContentFile(render.to_png(template)), False)
        result.save()
    return experiment


def test_result_rows_fit_the_window(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    # A name of 40 characters with no space, the longest a drawn class may have.
    long_name = "Hollow-triangle-with-a-chimney-and-a-dot"
    four = finished_run(alice, 1, ["box", "line", "circle", "tri"], names={"tri": long_name})
    effects = [{"key": "box", "area_share": 0.1, "energy_share": 0.25, "saliency_share": 0.5}]
    many = ["box", "line", "circle", "tri", "noise", "noise_blur", "house", "tri_hollow"]
    baseline = finished_run(alice, 2, many, highlight_effects=effects)
    eight = finished_run(
        alice, 3, many, highlight_effects=effects, highlight_baseline=baseline, source=four
    )
    eight.config = {**eight.config, "highlight": "rrr", "highlight_lambda": 10.0}
    eight.save(update_fields=["config"])
    log_in(page, live_server.url, alice.username, PASSWORD)
    for experiment in (four, baseline, eight):
        row = page.locator(f"#experiment-{experiment.pk}")
        expect(row.locator(".card")).to_have_count(len(experiment.class_keys))
        for image in row.locator(".card img").all():
            image.scroll_into_view_if_needed()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth", arg=image.element_handle()
            )
    # The follow-up form opened too: its fields must wrap within the row as well.
    page.locator(f"#experiment-{four.pk} .follow-up-images").click()
    expect(page.locator(f"#experiment-{four.pk} .follow-up-form")).to_be_visible()
    problems = page.evaluate(OVERFLOWS)
    assert not problems, "\n".join(problems)
    # Fitting is not shrinking to nothing: a desktop shows the pictures at their full size,
    # a phone two cards abreast with pictures at least 64 and 32 px wide.
    generated = page.locator(".card-generated").evaluate_all(
        "images => images.map(image => image.getBoundingClientRect().width)"
    )
    template = page.locator(".card-template").evaluate_all(
        "images => images.map(image => image.getBoundingClientRect().width)"
    )
    if is_phone(window):
        assert min(generated) >= 64 and min(template) >= 32, (generated, template)
    else:
        assert set(generated) == {84} and set(template) == {42}, (generated, template)


def test_every_setting_fits_the_window(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    page.get_by_text("Advanced").click()
    page.get_by_role("button", name="Draw a class").click()
    page.locator(".thumb[data-class=box]").click()
    page.locator(".thumb[data-class=line]").click()
    expect(page.locator("#run-estimate")).to_contain_text("Estimated worker time")
    too_wide = page.evaluate(
        """() => Array.from(
             document.querySelectorAll('#builder-form input, #builder-form select, .step'))
           .filter((node) => node.getClientRects().length)
           .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 0.5)
           .map((node) => node.id || node.className)"""
    )
    assert too_wide == []
    assert fits_the_window(page)
