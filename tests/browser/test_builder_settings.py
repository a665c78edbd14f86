"""Every setting of a run in the Model Builder: each has a field with the API's bounds that can
be reached on a desktop and on a phone, reaches the stored run, and is named by its label when
it is refused; the classes picked survive a reload; the run's estimated worker time is shown
against the server's limit as settings change. Runs train for real (the queue runs in-process)."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from drawing import services as drawing_services
from experiments.models import Experiment
from models_zoo import shapes
from models_zoo.budget import estimate_seconds
from models_zoo.config import RunConfig
from tests.browser.test_builder import choose_epochs, log_in
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

RUN_TIMEOUT_MS = 120_000

# The control of each run setting in the builder's form.
CONTROLS = {
    "classes": ".thumb[data-class]",
    "model": "input[name=model]",
    "step_size": "input[name=step_size_choice]",
    "epochs": "input[name=epochs_choice]",
    "highlight": "input[name=highlight]",
}

# A value for each numeric setting under Advanced, by its label, none of them the default.
ADVANCED = {
    "Learning rate": ("learning_rate", 0.5),
    "Batch size": ("batch_size", 8),
    "Validation split": ("validation_split", 0.25),
    "Copies per class": ("copies", 6),
    "Noise on copies": ("noise_amplitude", 0.05),
    "Stop at probability": ("threshold", 0.95),
    "Iteration cap": ("max_steps", 12),
    "L2 decay": ("l2", 0.001),
    "Total variation": ("tv", 0.01),
    "Blur every": ("blur_every", 4),
    "Jitter": ("jitter", 1),
    "Snapshot every": ("snapshot_every", 3),
}


def pick(page: Page, *keys: str) -> None:
    for key in keys:
        page.locator(f'.thumb[data-class="{key}"]').click()


def shown_duration(seconds: float) -> str:
    """A duration as the page writes it (rounded half up, as the browser rounds)."""
    if seconds < 90:
        return f"{max(1, math.floor(seconds + 0.5))} s"
    return f"{math.floor(seconds / 60 + 0.5)} min"


def test_every_setting_has_a_field_and_reaches_the_stored_run(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    form = page.locator("#builder-form")
    for name in RunConfig.field_names():
        control = CONTROLS.get(name, f'[id="{name}"]')
        assert form.locator(control).count() >= 1, f"no field for {name}"

    pick(page, "box", "line", "circle")
    choose_epochs(page, 3)
    page.get_by_text("Advanced").click()
    assert fits_the_window(page)
    # An empty learning rate is the optimizer's own, and the field says which.
    expect(page.get_by_label("Learning rate")).to_have_value("")
    expect(page.get_by_label("Learning rate")).to_have_attribute("placeholder", re.compile("^1 "))
    page.get_by_label("Optimizer").select_option("adam")
    expect(page.get_by_label("Learning rate")).to_have_attribute(
        "placeholder", re.compile("^0.001 ")
    )
    # Each field, scrolled to, lies wholly in the window and takes the focus, a phone's too.
    for label, (_name, value) in ADVANCED.items():
        field = page.get_by_label(label, exact=True)
        expect_usable(field)
        field.fill(str(value))
    for label in ("Optimizer", "Objective", "Clip the image to [0, 1] after each step"):
        expect_usable(page.get_by_label(label))
    page.get_by_label("Objective").select_option("logit")
    page.get_by_label("Clip the image to [0, 1] after each step").check()
    assert fits_the_window(page)
    # No setting calls its off state anything but "off".
    assert not re.search(r"\bnone\b", form.inner_text(), re.IGNORECASE)

    train = page.get_by_role("button", name="Train and Visualize")
    expect_usable(train)
    train.click()
    row = page.locator(".result-row").first
    expect(row).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT_MS)
    experiment = Experiment.objects.get(owner=alice)
    for _label, (name, value) in ADVANCED.items():
        assert experiment.config[name] == value, name
    assert experiment.config["optimizer"] == "adam"
    assert experiment.config["objective"] == "logit"
    assert experiment.config["clip"] is True
    assert experiment.config["epochs"] == 3
    # The row repeats the settings that differ from the defaults, by their labels.
    meta = row.locator(".result-meta")
    for text in ("learning rate 0.5", "batch size 8", "L2 decay 0.001", "snapshot every 3"):
        expect(meta).to_contain_text(text)
    expect_in_the_window(meta)
    assert fits_the_window(page)


def test_a_value_out_of_bounds_is_named_by_its_label(
    page: Page, live_server: Any, alice: Any, settings: Any
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    pick(page, "box", "line")
    page.get_by_text("Advanced").click()
    page.get_by_label("Learning rate").fill("0")
    page.get_by_label("Stop at probability").fill("1")
    page.get_by_label("Batch size").fill("1.5")
    page.get_by_label("Snapshot every").fill("-1")
    page.get_by_role("button", name="Train and Visualize").click()
    expect(page.locator("#error-learning_rate")).to_have_text(
        "Learning rate: must be more than 0 and at most 10."
    )
    expect(page.locator("#error-threshold")).to_have_text(
        "Stop at probability: must be more than 0 and less than 1."
    )
    expect(page.locator("#error-batch_size")).to_have_text("Batch size: enter a whole number.")
    expect(page.locator("#error-snapshot_every")).to_have_text(
        "Snapshot every: must be at least 0 and at most 20000."
    )
    expect(page.get_by_label("Learning rate")).to_have_attribute("aria-invalid", "true")
    assert not Experiment.objects.exists()

    # What only the server can judge is named by the label too, beside the field.
    settings.MAX_TRAINING_IMAGES = 10
    page.get_by_label("Learning rate").fill("")
    page.get_by_label("Stop at probability").fill("0.99")
    page.get_by_label("Batch size").fill("4")
    page.get_by_label("Snapshot every").fill("0")
    page.get_by_label("Copies per class").fill("6")
    page.get_by_role("button", name="Train and Visualize").click()
    expect(page.locator("#error-copies")).to_contain_text(
        "Copies per class: 6 copies of 2 classes make 12 training images"
    )
    expect(page.locator("#run-estimate")).to_contain_text("No estimate: Copies per class: ")
    assert not Experiment.objects.exists()


def test_the_classes_picked_survive_a_reload(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    ring = drawing_services.drawn_class_save(
        user=alice, name="Ring", pixels=shapes.image("circle").tolist()
    )
    log_in(page, live_server.url, alice.username, PASSWORD)
    drawn = f"drawn:{ring.pk}"
    pick(page, "box", "tri", drawn)
    expect(page.locator("#selection-count")).to_contain_text("3 selected")

    page.reload()
    expect(page.locator("#results-loading")).to_be_hidden()
    for key in ("box", "tri", drawn):
        expect(page.locator(f'.thumb[data-class="{key}"]')).to_have_attribute(
            "aria-pressed", "true"
        )
    expect(page.locator(".thumb[data-class][aria-pressed=true]")).to_have_count(3)
    expect(page.locator("#selection-count")).to_contain_text("3 selected: Box, Triangle, Ring.")
    expect(page.get_by_role("button", name="Train and Visualize")).to_be_enabled()
    for key in ("box", "tri", drawn):
        expect_in_the_window(page.locator(f'.thumb[data-class="{key}"]'))
    expect_in_the_window(page.locator("#selection-count"))
    assert fits_the_window(page)

    # A class deleted meanwhile, and a key this site does not know, are dropped.
    drawing_services.drawn_class_delete(user=alice, shape_class=ring)
    page.evaluate(
        """() => {
          const key = 'shapeshop.builder.classes';
          const keys = JSON.parse(sessionStorage.getItem(key));
          sessionStorage.setItem(key, JSON.stringify([...keys, 'no-such-shape']));
        }"""
    )
    page.reload()
    # Once the user's classes have loaded, the remembered selection holds only what exists.
    page.wait_for_function(
        "() => JSON.parse(sessionStorage.getItem('shapeshop.builder.classes')).length === 2"
    )
    expect(page.locator(".thumb[data-class][aria-pressed=true]")).to_have_count(2)
    expect(page.locator("#selection-count")).to_contain_text("2 selected: Box, Triangle.")
    stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('shapeshop.builder.classes'))")
    assert stored == ["box", "tri"]


def test_the_estimate_follows_the_settings(
    page: Page, live_server: Any, alice: Any, settings: Any
) -> None:
    log_in(page, live_server.url, alice.username, PASSWORD)
    estimate = page.locator("#run-estimate")
    expect(estimate).to_contain_text("Select at least 2 shapes")
    pick(page, "box", "line")
    paper = estimate_seconds(RunConfig(classes=("box", "line")))
    limit = shown_duration(settings.MAX_RUN_SECONDS)
    expect(estimate).to_have_text(
        f"Estimated worker time: about {shown_duration(paper)} of the {limit} a run may take here."
    )

    # A bigger run: the CNN, 250 epochs, a third class.
    page.locator("input[name=model][value=cnn]").check()
    page.locator("input[name=epochs_choice][value='250']").check()
    pick(page, "circle")
    bigger = estimate_seconds(RunConfig(classes=("box", "line", "circle"), model="cnn", epochs=250))
    assert shown_duration(bigger) != shown_duration(paper)
    expect(estimate).to_have_text(
        f"Estimated worker time: about {shown_duration(bigger)} of the {limit} a run may take here."
    )
    expect(estimate).not_to_have_class(re.compile("is-over"))

    # Over the server's limit: said before the run is refused.
    settings.MAX_RUN_SECONDS = 10
    page.locator("input[name=epochs_choice][value='200']").check()
    heavier = estimate_seconds(
        RunConfig(classes=("box", "line", "circle"), model="cnn", epochs=200)
    )
    assert heavier > 10
    expect(estimate).to_contain_text(
        f"Estimated worker time: about {shown_duration(heavier)}, more than the 10 s a run may take"
    )
    expect(estimate).to_have_class(re.compile("is-over"))
    page.get_by_role("button", name="Train and Visualize").click()
    expect(page.locator("#error-epochs")).to_contain_text(
        "Epochs: this run would keep a worker busy"
    )
    assert not Experiment.objects.exists()
