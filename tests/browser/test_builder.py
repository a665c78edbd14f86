"""The Model Builder in a real browser, against a live server and a real task worker."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from experiments.models import ClassResult, Experiment
from models_zoo import render, shapes
from models_zoo.config import RunConfig
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-long-and-unusual-passphrase"
RUN_TIMEOUT_MS = 120_000

# Records every progress state the page shows, so the test sees the bar move even between
# two of its own checks.
RECORD_PROGRESS = """
() => {
  window.progressSeen = [];
  const record = () => {
    for (const track of document.querySelectorAll('.progress-track')) {
      const text = track.parentElement.querySelector('.progress-text');
      window.progressSeen.push({
        value: Number(track.getAttribute('aria-valuenow')),
        text: text ? text.textContent : '',
      });
    }
  };
  new MutationObserver(record).observe(document.getElementById('results'), {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
}
"""


def shown_loss(loss: float) -> str:
    """The loss as the page writes it: four decimals, or two significant digits when tiny."""
    if loss != 0 and abs(loss) < 0.001:
        mantissa, exponent = f"{loss:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{loss:.4f}"


def wait_for_builder(page: Page, base: str) -> None:
    """The builder is ready once its script has asked the API for the user's experiments."""
    expect(page).to_have_url(f"{base}/builder/")
    expect(page.locator("#results-loading")).to_be_hidden()


def sign_up(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("main").get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    wait_for_builder(page, base)


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    wait_for_builder(page, base)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()


def choose_epochs(page: Page, epochs: int) -> None:
    page.locator("input[name=epochs_choice][value=custom]").check()
    page.get_by_label("Custom number of epochs").fill(str(epochs))


def test_sign_up_train_watch_progress_and_keep_results(
    page: Page, live_server: Any, qcluster: Any, bob: Any
) -> None:
    base = live_server.url
    sign_up(page, base, "alice")
    expect(page.locator("#results-empty")).to_be_visible()

    # Step 1: fewer than two shapes block the run, with a visible reason.
    run_button = page.get_by_role("button", name="Train and Visualize")
    expect(run_button).to_be_disabled()
    expect(page.locator("#run-message")).to_contain_text("Select at least 2 shapes")
    page.locator(".thumb[data-class=box]").click()
    expect(run_button).to_be_disabled()
    # The thumbnails are buttons: Space and Enter toggle them as a click does.
    page.locator(".thumb[data-class=line]").focus()
    page.keyboard.press("Space")
    page.locator(".thumb[data-class=circle]").focus()
    page.keyboard.press("Enter")
    for key in ("box", "line", "circle"):
        expect(page.locator(f".thumb[data-class={key}]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#selection-count")).to_contain_text("3 selected")
    expect(run_button).to_be_enabled()

    # Steps 2 and 3: the CNN with few epochs; enough images that training takes a moment.
    expect(page.locator("input[name=model][value=mlp]")).to_be_checked()
    page.locator("input[name=model][value=cnn]").check()
    choose_epochs(page, 5)
    page.get_by_text("Advanced").click()
    page.get_by_label("Copies per class").fill("100")
    page.get_by_label("Iteration cap").fill("30")

    # Step 4: train; the page polls and the bar moves without a reload.
    page.evaluate(RECORD_PROGRESS)
    run_button.click()
    row = page.locator(".result-row").first
    expect(row).to_be_visible()
    expect(row.get_by_role("progressbar")).to_be_visible()
    expect(row).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT_MS)
    seen = page.evaluate("window.progressSeen")
    values = [state["value"] for state in seen]
    assert any(0 < value < 100 for value in values), seen
    assert values == sorted(values), f"progress went backwards: {values}"
    assert any(re.search(r"Training: epoch \d+ of 5 · loss [\d.]+", s["text"]) for s in seen)

    experiment = Experiment.objects.get(owner__username="alice")
    assert experiment.status == "done"
    expect(page.locator("#announcer")).to_have_text(
        f"Experiment 1 finished: accuracy {experiment.accuracy * 100:.1f}%."
    )
    expect(row.locator(".result-title")).to_have_text("[1]: CNN, , 0.005, 5 epochs")
    expect(row.locator(".result-title img")).to_have_attribute("alt", "Black initial image")
    expect(row).to_contain_text(f"accuracy {experiment.accuracy * 100:.1f}%")
    expect(row).to_contain_text(f"loss {shown_loss(experiment.loss)}")
    expect(row).to_contain_text(f"seed {experiment.seed}")
    check_cards(page, experiment)

    # Reuse seed fills the seed field with this run's seed.
    row.get_by_role("button", name=f"Reuse seed {experiment.seed}").click()
    expect(page.get_by_label("Seed", exact=True)).to_have_value(str(experiment.seed))

    # A second, long run can be cancelled while it trains.
    choose_epochs(page, 250)
    run_button.click()
    second = page.locator(".result-row").first
    expect(second.locator(".result-title")).to_contain_text("[2]: CNN")
    expect(second.locator(".progress-text")).to_contain_text("Training", timeout=RUN_TIMEOUT_MS)
    second_id = second.get_attribute("data-id")

    # A reload in the middle picks the progress bar up again, and it keeps moving.
    page.reload()
    wait_for_builder(page, base)
    second = page.locator(f"#experiment-{second_id}")
    bar = second.get_by_role("progressbar")
    expect(bar).to_be_visible()
    before = int(bar.get_attribute("aria-valuenow") or 0)
    expect(bar).not_to_have_attribute("aria-valuenow", str(before), timeout=RUN_TIMEOUT_MS)
    assert int(bar.get_attribute("aria-valuenow") or 0) > before
    second.get_by_role("button", name="Cancel experiment 2").click()
    expect(second).to_have_attribute("data-status", "cancelled")
    expect(second.locator(".result-error")).to_be_visible()
    cancelled = Experiment.objects.get(owner__username="alice", number=2)
    assert cancelled.status == "cancelled"
    assert cancelled.seed == experiment.seed

    # Reloading keeps every row, newest first.
    page.reload()
    wait_for_builder(page, base)
    rows = page.locator(".result-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-status", "cancelled")
    expect(rows.nth(1)).to_have_attribute("data-status", "done")
    expect(rows.nth(1).locator(".result-title")).to_have_text("[1]: CNN, , 0.005, 5 epochs")
    check_cards(page, experiment)

    # Another user sees nothing of alice's, in the page or through the API.
    log_out(page)
    log_in(page, base, bob.username, PASSWORD)
    expect(page.locator("#results-empty")).to_be_visible()
    expect(page.locator(".result-row")).to_have_count(0)
    response = page.request.get(f"{base}/api/v1/experiments/{experiment.pk}/")
    assert response.status == 404


def check_cards(page: Page, experiment: Experiment, count: int = 3) -> None:
    """One card per class with both images loaded and |r| as stored."""
    row = page.locator(f"#experiment-{experiment.pk}")
    cards = row.locator(".card")
    expect(cards).to_have_count(count)
    results = list(experiment.results.order_by("position"))
    for card, result in zip(cards.all(), results, strict=True):
        expect(card.locator(".card-name")).to_have_text(result.name)
        r_text = "—" if result.r is None else f"{result.r:.2f}"
        expect(card.locator(".card-r")).to_have_text(f"|r| = {r_text}")
        reached = "✓ reached" if result.reached else "✗ not reached"
        expect(card.locator(".card-reached")).to_contain_text(reached)
        for image in (card.locator(".card-generated"), card.locator(".card-template")):
            expect(image).to_have_css("image-rendering", "pixelated")
            image.scroll_into_view_if_needed()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth === 28", arg=image.element_handle()
            )


def test_bad_settings_are_shown_beside_their_fields(
    page: Page, live_server: Any, alice: Any
) -> None:
    base = live_server.url
    log_in(page, base, alice.username, PASSWORD)
    page.locator(".thumb[data-class=tri]").click()
    page.locator(".thumb[data-class=house]").click()

    # Out of bounds: the page says so next to the field and sends nothing.
    choose_epochs(page, 5000)
    page.get_by_role("button", name="Train and Visualize").click()
    expect(page.locator("#error-epochs")).to_have_text(
        f"Epochs: must be at least 1 and at most {settings.MAX_EPOCHS}."
    )
    expect(page.get_by_label("Custom number of epochs")).to_have_attribute("aria-invalid", "true")

    # What only the server can judge comes back as a 400 naming the field: shown beside it,
    # with the Advanced fold opened to reveal it.
    choose_epochs(page, 5)
    page.evaluate(
        """() => {
          const select = document.getElementById('optimizer');
          select.add(new Option('Unknown', 'sgd-unknown'));
          select.value = 'sgd-unknown';
        }"""
    )
    expect(page.locator("#advanced")).not_to_have_attribute("open", "")
    page.get_by_role("button", name="Train and Visualize").click()
    expect(page.locator("#error-optimizer")).to_contain_text("sgd-unknown")
    expect(page.locator("#error-epochs")).to_be_hidden()
    expect(page.locator("#advanced")).to_have_attribute("open", "")
    assert not Experiment.objects.exists()


def test_failed_runs_show_their_reason_and_older_runs_load_on_demand(
    page: Page, live_server: Any, alice: Any, bob: Any
) -> None:
    # Finished rows need no worker: store them as a worker would have left them.
    for number in range(1, 13):
        Experiment.objects.create(
            owner=alice,
            number=number,
            config=RunConfig(classes=("box", "line"), seed=number).to_dict(),
            model_name="mlp",
            class_keys=["box", "line"],
            seed=number,
            status="failed",
            error=f"Run {number} failed: the loss became NaN.",
        )
    Experiment.objects.create(
        owner=bob,
        number=1,
        config=RunConfig(classes=("box", "tri")).to_dict(),
        model_name="mlp",
        class_keys=["box", "tri"],
        seed=99,
        status="failed",
        error="Bob's run.",
    )
    log_in(page, live_server.url, alice.username, PASSWORD)
    rows = page.locator(".result-row")
    expect(rows).to_have_count(10)
    expect(rows.first.locator(".result-title")).to_have_text("[12]: MLP, , 0.005, 100 epochs")
    expect(rows.first).to_have_attribute("data-status", "failed")
    expect(rows.first.locator(".status-badge")).to_have_text("Failed")
    expect(rows.first.locator(".result-error")).to_have_text("Run 12 failed: the loss became NaN.")
    expect(rows.first.locator(".card")).to_have_count(0)

    load_more = page.get_by_role("button", name="Load more")
    load_more.click()
    expect(rows).to_have_count(12)
    expect(load_more).to_be_hidden()
    titles = rows.locator(".result-title").all_text_contents()
    assert [title.split(":")[0] for title in titles] == [f"[{n}]" for n in range(12, 0, -1)]
    expect(page.get_by_text("Bob's run.")).to_have_count(0)


def test_a_card_says_when_r_is_undefined_and_when_the_cap_was_hit(
    page: Page, live_server: Any, alice: Any
) -> None:
    # A finished run as the worker stores it: one class whose image stayed constant (no r)
    # and never convinced the model, one that reached the threshold.
    config = RunConfig(classes=("box", "line"), max_steps=40, seed=5).to_dict()
    experiment = Experiment.objects.create(
        owner=alice,
        number=1,
        config=config,
        model_name="mlp",
        class_keys=["box", "line"],
        seed=5,
        status="done",
        accuracy=0.875,
        loss=0.25,
    )
    generated = {"box": np.full((28, 28), 0.5, np.float32), "line": shapes.image("line") * 0.7}
    for position, (key, r, reached, steps, probability) in enumerate(
        [("box", None, False, 40, 0.42), ("line", 0.456, True, 12, 0.995)]
    ):
        result = ClassResult(
            experiment=experiment,
            position=position,
            class_key=key,
            name=shapes.get(key).name,
            image_raw=generated[key].tobytes(),
            r=r,
            steps=steps,
            reached=reached,
            probability=probability,
        )
        result.image.save(f"{key}-image.png", ContentFile(render.to_png(generated[key])), False)
        result.template.save(
            f"{key}-template.png", ContentFile(render.to_png(shapes.image(key))), False
        )
        result.save()

    log_in(page, live_server.url, alice.username, PASSWORD)
    row = page.locator(f"#experiment-{experiment.pk}")
    expect(row.locator(".result-title")).to_have_text("[1]: MLP, , 0.005, 100 epochs")
    expect(row).to_contain_text("accuracy 87.5%")
    expect(row).to_contain_text("loss 0.2500")
    box, line = row.locator(".card").all()
    expect(box.locator(".card-r")).to_have_text("|r| = —")
    undefined = box.locator(".card-r abbr")
    expect(undefined).to_have_attribute("title", re.compile("constant"))
    expect(undefined).to_have_attribute("tabindex", "0")
    expect(box.locator(".card-reached")).to_have_text(
        "✗ not reached within the cap of 40 steps (p = 0.42)"
    )
    expect(line.locator(".card-r")).to_have_text("|r| = 0.46")
    expect(line.locator(".card-reached")).to_have_text("✓ reached p > 0.99 in 12 steps")
    check_cards(page, experiment, count=2)
