"""The history and the compare view in a real browser, on experiments trained for real."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django_q.conf import Conf
from PIL import Image
from playwright.sync_api import Page, expect

from experiments import lifecycle, services
from experiments.models import Experiment
from experiments.results import experiment_finish
from history.models import SavedComparison
from tests.browser.windows import expect_in_the_window, expect_usable, fits_the_window
from tests.conftest import PASSWORD
from tests.factories import TINY_MLP, finished_run, made_up_outcome, queued_run, trained_run

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/builder/")
    page.wait_for_load_state()  # the new URL shows before the page's scripts have run


def trained(user: Any, classes: list[str], model: str = "mlp") -> Experiment:
    """A real tiny run with snapshots: the queue is synchronous in tests, so it trains on commit."""
    return trained_run(user, TINY_MLP, classes=classes, model=model, snapshot_every=2)


def check_comparison(page: Page, experiments: list[Experiment]) -> None:
    """Grid, diff table and charts: as many cells, rects and paths as the data has."""
    keys: list[str] = []
    for experiment in experiments:
        keys += [key for key in experiment.class_keys if key not in keys]
    results = {e.pk: {r.class_key: r for r in e.results.all()} for e in experiments}
    grid = page.locator("#compare-grid")
    expect(grid.locator("tbody tr")).to_have_count(len(keys))
    trained_cells = sum(len(e.class_keys) for e in experiments)
    expect(grid.locator("td.grid-cell:not(.is-empty)")).to_have_count(trained_cells)
    expect(grid.locator("td.is-empty")).to_have_count(len(keys) * len(experiments) - trained_cells)
    first_line = results[experiments[0].pk]["line"]
    expect(grid.locator("tr[data-class=line] td").first).to_contain_text(f"{first_line.r:.2f}")
    for image in grid.locator("img.grid-image").all():
        page.wait_for_function(
            "img => img.complete && img.naturalWidth === 28", arg=image.element_handle()
        )

    with_r = sum(1 for e in experiments for r in results[e.pk].values() if r.r is not None)
    expect(page.locator("#r-chart rect.bar")).to_have_count(with_r)
    base = results[experiments[0].pk]
    deltas = sum(
        1
        for e in experiments[1:]
        for key, result in results[e.pk].items()
        if result.r is not None and key in base and base[key].r is not None
    )
    expect(page.locator("#delta-chart rect.delta-bar")).to_have_count(deltas)
    for metric, keys_of in (
        ("loss", ("loss", "val_loss")),
        ("accuracy", ("accuracy", "val_accuracy")),
    ):
        curves = sum(1 for e in experiments for key in keys_of if e.history.get(key))
        expect(page.locator(f"#{metric}-chart path.curve")).to_have_count(curves)
    expect(page.locator("#loss-chart path.curve.is-validation")).to_have_count(
        sum(1 for e in experiments if e.history.get("val_loss"))
    )
    heatmaps = page.locator(".heatmap-figure")
    expect(heatmaps).to_have_count(len(experiments))
    for figure, experiment in zip(heatmaps.all(), experiments, strict=True):
        expect(figure.locator("rect.heat-cell")).to_have_count(len(experiment.class_keys) ** 2)
    # Every chart has its numbers in a table.
    expect(page.locator("#r-table tbody tr")).to_have_count(len(keys))
    epochs = max(len(e.history["loss"]) for e in experiments)
    expect(page.locator("#curves-table tbody tr")).to_have_count(epochs)


def test_filter_select_compare_reload_and_export(
    page: Page, live_server: Any, alice: Any, bob: Any, tmp_path: Path
) -> None:
    lines = trained(alice, ["line", "line_horizontal"])
    circles = trained(alice, ["line", "line_horizontal", "circle"])
    cnn = trained(alice, ["line", "line_horizontal", "circle", "noise"], model="cnn")
    finished_run(alice, seed=10, classes=["box", "tri"], tags=["other"])
    finished_run(bob, seed=1, classes=["line", "box"], tags=["bobs"])
    base = live_server.url
    log_in(page, base, alice.username)

    # The header leads to the history; every own run is a row, bob's are not.
    page.get_by_role("navigation").get_by_role("link", name="History").click()
    expect(page).to_have_url(f"{base}/history/")
    page.wait_for_load_state()  # its buttons work once history.js has run
    rows = page.locator(".history-row")
    expect(rows).to_have_count(4)
    expect(page.get_by_text("bobs")).to_have_count(0)
    expect(rows.first.locator(".result-title")).to_have_text("[4]: MLP, , 0.005, 5 epochs")

    # Filter by class: the box-and-triangle run goes.
    page.get_by_label("Class", exact=True).select_option("line")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"class=line"))
    page.wait_for_load_state()
    expect(rows).to_have_count(3)
    expect(page.locator(f"#experiment-{lines.pk} .card")).to_have_count(2)

    # Tags and note, edited in place and stored.
    row = page.locator(f"#experiment-{lines.pk}")
    row.get_by_role("button", name=re.compile("Edit tags and note")).click()
    row.get_by_label("Tags, separated by commas").fill("Paper, lines")
    row.get_by_label("Note").fill("Two classes only.")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".tag")).to_have_text(["paper", "lines"])
    expect(row.locator(".note-text")).to_have_text("Two classes only.")
    lines.refresh_from_db()
    assert lines.tags == ["paper", "lines"] and lines.note == "Two classes only."
    # A bad tag is refused beside the form, nothing stored.
    row.get_by_role("button", name=re.compile("Edit tags and note")).click()
    row.get_by_label("Tags, separated by commas").fill("two words")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".annotations-error")).to_contain_text("is not a tag")
    lines.refresh_from_db()
    assert lines.tags == ["paper", "lines"]

    # Select three, oldest first: the first picked is the base column.
    compare_button = page.get_by_role("button", name="Compare selected")
    expect(compare_button).to_be_disabled()
    for experiment in (lines, circles, cnn):
        page.get_by_label(f"Select experiment {experiment.number} to compare").check()
    expect(page.locator("#selection-status")).to_contain_text("3 selected")
    compare_button.click()
    ids = f"{lines.pk},{circles.pk},{cnn.pk}"
    expect(page).to_have_url(f"{base}/compare/?ids={ids}&all=0&base={lines.pk}")
    page.wait_for_load_state()
    experiments = [Experiment.objects.get(pk=e.pk) for e in (lines, circles, cnn)]
    check_comparison(page, experiments)

    # Only the settings that differ, then all of them.
    settings_rows = page.locator("#settings-table tbody tr")
    expect(settings_rows).to_have_count(2)  # model and classes
    expect(page.locator("#settings-table tr[data-setting=model]")).to_contain_text("cnn")
    expect(page.locator("#settings-table tr[data-setting=step_size]")).to_have_count(0)
    page.get_by_label("Show every setting, not only those that differ").check()
    expect(page).to_have_url(f"{base}/compare/?ids={ids}&all=1&base={lines.pk}")
    expect(page.locator("#settings-table tr[data-setting=step_size]")).to_have_count(1)

    # Snapshots were recorded: the scrubber steps through them.
    scrubber = page.get_by_label("Snapshot")
    expect(scrubber).to_be_visible()
    scrubber.fill("0")
    first_frame = page.locator(".scrub-image").first
    expect(first_frame).to_have_attribute("src", re.compile(r"/snapshots/0\.png$"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 28", arg=first_frame.element_handle()
    )

    # The URL is the view: a reload shows the same.
    page.reload()
    expect(page.get_by_label("Show every setting, not only those that differ")).to_be_checked()
    expect(page.locator("#settings-table tr[data-setting=step_size]")).to_have_count(1)
    check_comparison(page, experiments)

    # Export: the grid as PNG, the numbers as CSV.
    with page.expect_download() as png_download:
        page.get_by_role("button", name="Download the grid as PNG").click()
    png_path = tmp_path / "grid.png"
    png_download.value.save_as(png_path)
    assert png_download.value.suggested_filename == f"comparison-{ids.replace(',', '-')}.png"
    picture = Image.open(png_path)
    assert picture.format == "PNG"
    assert picture.size == (150 + 3 * 120 + 12, 48 + 4 * 118 + 12)
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download the numbers as CSV").click()
    csv_path = tmp_path / "numbers.csv"
    csv_download.value.save_as(csv_path)
    lines_of_csv = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert len(lines_of_csv) == 2 + 3 + 4
    assert {line["experiment_id"] for line in lines_of_csv} == {str(e.pk) for e in experiments}

    # Save it by name; it is on the history page, opens, and can be deleted.
    page.get_by_label("Save this comparison as").fill("Lines, circles, CNN")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-status")).to_contain_text("Saved as")
    saved = SavedComparison.objects.get(owner=alice)
    assert saved.experiment_ids == [lines.pk, circles.pk, cnn.pk]
    assert saved.options == {"base": lines.pk, "all": True}
    page.get_by_role("link", name="history page").click()
    page.get_by_role("link", name="Lines, circles, CNN").click()
    expect(page).to_have_url(f"{base}/compare/?ids={ids}&all=1&base={lines.pk}")
    expect(page.locator("#compare-grid tbody tr")).to_have_count(4)
    page.go_back()
    page.get_by_role("button", name="Delete saved comparison Lines, circles, CNN").click()
    expect(page.locator("#saved-empty")).to_be_visible()
    assert not SavedComparison.objects.exists()


def test_waiting_for_a_set_then_opening_its_comparison(
    page: Page, live_server: Any, alice: Any, settings: Any
) -> None:
    finished = finished_run(alice, seed=1, classes=["box", "line"])
    running = Experiment.objects.create(
        owner=alice,
        number=2,
        config=finished.config,
        model_name="mlp",
        class_keys=["box", "line"],
        seed=1,
        status="running",
        progress={"phase": "train", "fraction": 0.4, "done": 4, "total": 10},
    )
    base = live_server.url
    log_in(page, base, alice.username)
    page.goto(f"{base}/compare/?ids={finished.pk},{running.pk}&all=0&base={finished.pk}&wait=1")
    expect(page.locator("#wait-section")).to_be_visible()
    bars = page.get_by_role("progressbar")
    expect(bars).to_have_count(2)
    expect(bars.nth(1)).to_have_attribute("aria-valuenow", "40")
    # The running one says where it stands, as its row on the builder page does.
    details = page.locator(".wait-detail")
    expect(details).to_have_text(["40% · Training: epoch 4 of 10"])
    Experiment.objects.filter(pk=running.pk).update(
        progress={"phase": "generate", "fraction": 0.8, "done": 30, "total": 60}
    )
    expect(bars.nth(1)).to_have_attribute("aria-valuenow", "80")
    expect(details).to_have_text(["80% · Generating images: step 30 of 60"])
    # Once every run has finished, the comparison opens by itself.
    Experiment.objects.filter(pk=running.pk).update(status="done")
    expect(page.locator("#compare-content")).to_be_visible(timeout=10_000)
    expect(page.locator("#wait-section")).to_be_hidden()
    expect(page).to_have_url(
        f"{base}/compare/?ids={finished.pk},{running.pk}&all=0&base={finished.pk}"
    )
    expect(page.locator("#compare-grid tbody tr")).to_have_count(2)
    expect(page.locator("#compare-grid td.is-empty")).to_have_count(2)

    # A scenario that does not fit the free queue places says so, and queues nothing.
    settings.MAX_ACTIVE_EXPERIMENTS = 2
    page.goto(f"{base}/history/")
    page.get_by_role("button", name=re.compile("Lines, then")).click()
    expect(page.locator("#scenario-error")).to_contain_text("need 3 free places")
    assert Experiment.objects.filter(owner=alice).count() == 2


def format_in_page(page: Page, function: str, value: Any) -> str:
    """What the pages' own formatter (static/js/lib/format.js) writes for ``value``."""
    return page.evaluate(
        "async ([name, value]) => (await import('/static/js/lib/format.js'))[name](value)",
        [function, value],
    )


def running(user: Any, classes: list[str], fraction: float) -> Experiment:
    """A run a worker has started, at ``fraction`` of its training."""
    experiment = queued_run(user, TINY_MLP, classes=classes, epochs=10)
    assert lifecycle.experiment_start(experiment_id=experiment.pk)
    progress = {"phase": "train", "fraction": fraction, "done": int(fraction * 10), "total": 10}
    assert lifecycle.experiment_progress(experiment_id=experiment.pk, progress=progress)
    return experiment


def test_running_rows_follow_their_progress_finish_in_place_and_cancel(
    page: Page,
    live_server: Any,
    alice: Any,
    monkeypatch: pytest.MonkeyPatch,
    window: dict[str, int],
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker, which never comes here
    finishing = running(alice, ["box", "line", "circle"], 0.2)
    cancelled = running(alice, ["box", "tri"], 0.5)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/history/")
    row = page.locator(f"#experiment-{finishing.pk}")
    bar = row.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "20")
    # In the builder's words, and the bar drawn to its share, wholly in the window.
    expect(row.locator(".progress-text")).to_have_text("20% · Training: epoch 2 of 10")
    assert row.locator(".progress-fill").evaluate("fill => fill.style.width") == "20%"
    expect_in_the_window(bar)
    expect_in_the_window(row.locator(".progress-text"))
    expect_usable(row.get_by_role("button", name=f"Cancel experiment {finishing.number}"))
    progress = {"phase": "generate", "fraction": 0.6, "done": 30, "total": 50}
    assert lifecycle.experiment_progress(experiment_id=finishing.pk, progress=progress)
    expect(bar).to_have_attribute("aria-valuenow", "60")
    expect(row.locator(".progress-text")).to_have_text("60% · Generating images: step 30 of 50")

    # A note being typed while the run ends is kept.
    row.get_by_role("button", name=re.compile("Edit tags and note")).click()
    row.get_by_label("Note").fill("Typed while it ran")
    outcome = made_up_outcome(finishing, rs=None, snapshot_frames=0, rng=np.random.default_rng(1))
    assert experiment_finish(experiment_id=finishing.pk, outcome=outcome)
    finishing.refresh_from_db()
    expect(row.locator(".status-badge")).to_have_text("Done")
    expect(row.locator(".card")).to_have_count(3)
    expect(row.get_by_role("progressbar")).to_have_count(0)
    expect(row.get_by_text("Reload")).to_have_count(0)
    accuracy = format_in_page(page, "formatPercent", finishing.accuracy)
    loss = format_in_page(page, "formatLoss", finishing.loss)
    expect(row.locator(".result-meta")).to_contain_text(f"accuracy {accuracy}")
    expect(row.locator(".result-meta")).to_contain_text(f"loss {loss}")
    expect(row.locator(".card-reached").first).to_have_text("\u2713 reached p > 0.99 in 20 steps")
    for said in (row.locator(".result-meta"), row.locator(".card-reached").first):
        expect_in_the_window(said)
    expect(row.get_by_label("Note")).to_have_value("Typed while it ran")
    expect(page.locator("#history-announcer")).to_have_text(
        f"Experiment {finishing.number} finished: accuracy {accuracy}."
    )

    # Cancel stops the other one, and its row says so in the builder's words.
    other = page.locator(f"#experiment-{cancelled.pk}")
    cancel = other.get_by_role("button", name=f"Cancel experiment {cancelled.number}")
    expect_usable(cancel)
    cancel.click()
    expect(other.locator(".status-badge")).to_have_text("Cancelled")
    expect(other.locator(".result-error")).to_have_text("Cancelled before it finished.")
    expect(other.get_by_role("progressbar")).to_have_count(0)
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled"
    assert fits_the_window(page)


def test_rows_name_their_classes_origin_and_a_bad_date_range_claims_no_count(
    page: Page, live_server: Any, alice: Any, bob: Any, window: dict[str, int]
) -> None:
    # Another user's run first, so that alice's database ids are not her run numbers.
    finished_run(bob, seed=1, classes=["box", "line"])
    source = finished_run(alice, seed=1, classes=["noise_blur", "line"])
    assert source.pk != source.number
    rerun = finished_run(alice, seed=2, classes=["noise_blur", "line"])
    # A re-run made through the service, its source's number the user's own.
    follow_up = services.experiment_rerun(user=alice, source=source, seed=5)
    follow_up.refresh_from_db()
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/history/")
    origin = page.locator(f"#experiment-{follow_up.pk} .result-origin")
    expect(origin).to_have_text(f"a re-run of [{source.number}]")
    expect_in_the_window(origin)
    expect(page.locator(f"#experiment-{rerun.pk} .result-origin")).to_have_count(0)
    # The class filter offers names, not keys.
    options = page.get_by_label("Class", exact=True).locator("option")
    expect(options).to_have_text(["Any class", "Blurred noise", "Vertical line"])
    for label in ("Class", "From", "To"):
        expect_usable(page.get_by_label(label, exact=True))
    expect_usable(page.get_by_role("button", name="Apply filters"))
    page.get_by_label("Class", exact=True).select_option(label="Blurred noise")
    page.get_by_label("From", exact=True).fill("2030-01-09")
    page.get_by_label("To", exact=True).fill("2030-01-01")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"class=noise_blur"))
    expect(page.locator(".field-error")).to_have_text("The end date comes before the start date.")
    expect(page.locator("#history-title")).to_have_text("Experiments")
    expect(page.get_by_label("Class", exact=True)).to_have_value("noise_blur")
    assert fits_the_window(page)


def test_a_cancelled_run_is_worded_alike_on_the_builder_history_and_compare_pages(
    page: Page,
    live_server: Any,
    alice: Any,
    monkeypatch: pytest.MonkeyPatch,
    window: dict[str, int],
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)
    done = finished_run(alice, seed=1, classes=["box", "line"])
    stopped = queued_run(alice, TINY_MLP, classes=["box", "line"])
    services.experiment_cancel(user=alice, experiment=stopped)
    log_in(page, live_server.url, alice.username)
    said = page.locator(f"#experiment-{stopped.pk} .result-error")
    expect(said).to_be_visible()  # on the builder
    builder_words = said.inner_text()
    builder_badge = page.locator(f"#experiment-{stopped.pk} .status-badge").inner_text()
    assert fits_the_window(page)
    page.goto(f"{live_server.url}/history/")
    expect(said).to_have_text(builder_words)
    expect(page.locator(f"#experiment-{stopped.pk} .status-badge")).to_have_text(builder_badge)
    assert fits_the_window(page)
    page.goto(f"{live_server.url}/compare/?ids={done.pk},{stopped.pk}")
    column = page.locator(f"#compare-grid th[data-id='{stopped.pk}']")
    expect(column.locator(".grid-sub")).to_have_text(builder_badge)
    expect(page.locator(f".heatmap-figure[data-id='{stopped.pk}'] .hint")).to_have_text(
        builder_words
    )
    expect(page.locator(f"#compare-grid th[data-id='{done.pk}'] .grid-sub")).to_have_text(
        f"accuracy {format_in_page(page, 'formatPercent', done.accuracy)}"
    )
    assert fits_the_window(page)
