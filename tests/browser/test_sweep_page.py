"""The sweep page in a real browser, on a desktop and a phone: every finished run of the sweep
is a dot in each chart with its group's mean ± sd, the claims table says what the API says,
the pictures switch between one seed and one class, a run that ends while the page is open
appears without a reload, and the list of sweeps leads to it from the history.

The sweep's runs are made by the worker's own services (tests.factories) and tied to the
sweep with SweepMember rows, as the sweeps service ties the runs it creates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.test import Client
from django_q.conf import Conf
from playwright.sync_api import Page, expect

from experiments import lifecycle
from experiments.models import Experiment
from experiments.results import experiment_finish
from sweeps.models import Sweep, SweepMember
from tests.browser.test_history import log_in
from tests.browser.windows import expect_usable, fits_the_window
from tests.factories import TINY_MLP, finished_run, made_up_outcome, queued_run

pytestmark = pytest.mark.browser

CLASSES = ["box", "line", "circle"]
SEEDS = [1, 2, 3]
EPOCHS = [3, 5]
# |r| of box, line and circle for each (epochs, seed): 5 epochs beat 3 on box for every seed.
RS = {
    (3, 1): [0.30, 0.50, 0.20],
    (3, 2): [0.40, 0.45, 0.25],
    (3, 3): [0.35, 0.60, 0.30],
    (5, 1): [0.70, 0.40, 0.22],
    (5, 2): [0.80, 0.55, 0.21],
    (5, 3): [0.75, 0.52, 0.35],
}
# The run still training when the page opens.
RUNNING = (5, 3)


@pytest.fixture(autouse=True)
def _queue_without_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs are queued for a worker that never comes: the test finishes them itself."""
    monkeypatch.setattr(Conf, "SYNC", False)


def running_run(user: Any, *, epochs: int, seed: int) -> Experiment:
    """A run a worker has started and taken halfway through training."""
    experiment = queued_run(user, TINY_MLP, classes=CLASSES, epochs=epochs, seed=seed)
    assert lifecycle.experiment_start(experiment_id=experiment.pk)
    progress = {"phase": "train", "fraction": 0.5, "done": 1, "total": 2}
    assert lifecycle.experiment_progress(experiment_id=experiment.pk, progress=progress)
    return experiment


def make_sweep(user: Any) -> tuple[Sweep, dict[tuple[int, int], Experiment]]:
    """A sweep of epochs 3 and 5 over seeds 1 to 3, every run finished but one."""
    sweep = Sweep.objects.create(
        owner=user,
        number=1,
        config={**TINY_MLP, "classes": CLASSES, "seed": SEEDS[0]},
        vary={"epochs": EPOCHS},
        seeds=len(SEEDS),
    )
    runs = {}
    for position, (epochs, seed) in enumerate((e, s) for e in EPOCHS for s in SEEDS):
        if (epochs, seed) == RUNNING:
            experiment = running_run(user, epochs=epochs, seed=seed)
        else:
            experiment = finished_run(
                user,
                classes=CLASSES,
                seed=seed,
                epochs=epochs,
                rs=RS[epochs, seed],
                tags=["sweep-1"],
            )
        SweepMember.objects.create(
            sweep=sweep,
            experiment=experiment,
            position=position,
            seed=seed,
            values={"epochs": epochs},
        )
        runs[epochs, seed] = experiment
    return sweep, runs


def api_detail(user: Any, sweep: Sweep) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    response = client.get(f"/api/v1/sweeps/{sweep.pk}/")
    assert response.status_code == 200
    return response.json()


def mean_sd(values: list[float]) -> str:
    """Mean ± sample sd as the page writes it."""
    return f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"


def finish(experiment: Experiment, rs: list[float]) -> None:
    outcome = made_up_outcome(experiment, rs=rs, snapshot_frames=0, rng=np.random.default_rng(9))
    assert experiment_finish(experiment_id=experiment.pk, outcome=outcome)


def test_every_seed_is_a_dot_with_the_mean_and_the_page_fills_in_live(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    sweep, runs = make_sweep(alice)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/sweeps/{sweep.pk}/")
    expect(page.locator("#sweep-content")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    # The header: what is varied, the status, the counts and the bar.
    expect(page.locator("#sweep-title")).to_have_text("Sweep 1")
    expect(page.locator("#sweep-status")).to_have_text("Running")
    expect(page.locator("#sweep-what")).to_contain_text("Epochs (3, 5) over 3 seeds: 6 runs")
    expect(page.locator("#sweep-counts")).to_contain_text("5 of 6 done · 1 running")
    expect(page.locator("#sweep-progress")).to_have_attribute("role", "progressbar")
    urls = api_detail(alice, sweep)["urls"]
    expect(page.locator("#export-csv")).to_have_attribute("href", urls["csv"])
    expect(page.locator("#export-json")).to_have_attribute("href", urls["json"])
    expect_usable(page.get_by_role("button", name="Cancel the sweep"))

    # One chart per class, one dot per finished run, the mean ± sd of each group written out.
    for position, key in enumerate(CLASSES):
        figure = page.locator(f"#r-charts figure[data-class={key}]")
        expect(figure.locator(".seed-dot")).to_have_count(5)
        three = [RS[3, seed][position] for seed in SEEDS]
        five = [RS[5, seed][position] for seed in SEEDS if (5, seed) != RUNNING]
        expect(figure.locator(".mean-text")).to_have_text([mean_sd(three), mean_sd(five)])
    for chart in ("#accuracy-chart", "#val_accuracy-chart"):
        expect(page.locator(f"{chart} .seed-dot")).to_have_count(5)
        expect(page.locator(f"{chart} .mean-bar")).to_have_count(2)
    # The parallel coordinates: a line per value of the varied setting.
    expect(page.locator("#parallel-chart .parallel-line")).to_have_count(2)

    # The claims, as the API states them.
    claims = api_detail(alice, sweep)["claims"]
    box = [claim for claim in claims if claim["class"] == "box"]
    assert box and box[0]["seeds_holding"] == box[0]["seeds"] == 2, box
    rows = page.locator("#claims-table tbody tr")
    expect(rows).to_have_count(len(claims))
    for index, claim in enumerate(claims):
        share = f"{claim['seeds_holding']} of {claim['seeds']} ({round(claim['share'] * 100)}%)"
        expect(rows.nth(index).locator("td")).to_have_text(
            [claim["text"], share, "yes" if claim["holds_on_means"] else "no"]
        )

    # Pictures: one seed's images of every class for each value, then one class over seeds.
    grid = page.locator("#image-grid")
    expect(grid.locator("tbody tr")).to_have_count(3)
    images = {
        (member["id"], result["key"]): result["image_url"]
        for member in api_detail(alice, sweep)["experiments"]
        for result in member["classes"]
    }
    seed_one = [runs[3, 1], runs[5, 1]]
    for key in CLASSES:
        cells = grid.locator(f"tbody tr[data-class={key}] td")
        expect(cells).to_have_count(2)
        for cell, experiment in zip(cells.all(), seed_one, strict=True):
            expect(cell).to_have_attribute("data-experiment", str(experiment.pk))
            image = images[experiment.pk, key]
            expect(cell.locator("img")).to_have_attribute("src", image)
    page.get_by_label("Seed", exact=True).select_option(label="Seed 2")
    expect(grid.locator("td[data-seed='2']")).to_have_count(6)
    mode = page.get_by_label("One class, every seed")
    mode.focus()
    page.keyboard.press("Space")
    page.get_by_label("Class", exact=True).select_option(label="Vertical line")
    expect(grid.locator("caption")).to_contain_text("Vertical line")
    expect(grid.locator("tbody tr")).to_have_count(2)
    expect(grid.locator("thead th")).to_have_text(["Setting", "Seed 1", "Seed 2", "Seed 3"])
    expect(grid.locator("td img")).to_have_count(5)
    expect(grid.locator("td[data-status=running]")).to_have_text("Running")
    assert fits_the_window(page)

    # The last run finishes: its dots, images and the status arrive without a reload.
    finish(runs[RUNNING], RS[RUNNING])
    expect(page.locator("#sweep-status")).to_have_text("Done")
    expect(page.locator("#sweep-announcer")).to_have_text("6 of 6 runs finished.")
    for key in CLASSES:
        expect(page.locator(f"#r-charts figure[data-class={key}] .seed-dot")).to_have_count(6)
    expect(page.locator("#accuracy-chart .seed-dot")).to_have_count(6)
    expect(grid.locator("td img")).to_have_count(6)
    expect(page.get_by_label("Class", exact=True)).to_have_value("line")
    expect(page.get_by_role("button", name="Cancel the sweep")).to_be_hidden()
    assert page.evaluate("window.notReloaded") is True
    assert fits_the_window(page)

    # Each run opens its row in the history.
    member = runs[3, 2]
    link = page.locator(f"#members-table tr[data-id='{member.pk}'] a")
    expect(link).to_have_text(f"Experiment {member.number}")
    link.click()
    expect(page.locator(f"#experiment-{member.pk}")).to_be_visible()


def test_the_history_lists_sweeps_and_a_sweep_is_deleted_with_its_runs(
    page: Page, live_server: Any, alice: Any, bob: Any, window: dict[str, int]
) -> None:
    sweep, runs = make_sweep(alice)
    finish(runs[RUNNING], RS[RUNNING])
    Sweep.objects.create(owner=bob, number=1, config={}, vary={}, seeds=2)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/history/")
    page.get_by_role("link", name="Sweeps").first.click()
    expect(page).to_have_url(f"{live_server.url}/sweeps/")
    rows = page.locator("#sweeps-rows tr")
    expect(rows).to_have_count(1)  # bob's sweep is not listed
    created = sweep.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    expect(rows.first.locator("th, td")).to_have_text(["Sweep 1", "6", "Done", created])
    assert fits_the_window(page)
    rows.first.get_by_role("link", name="Sweep 1").click()
    expect(page).to_have_url(f"{live_server.url}/sweeps/{sweep.pk}/")
    expect(page.locator("#sweep-status")).to_have_text("Done")

    page.once("dialog", lambda dialog: dialog.accept())
    delete = page.get_by_role("button", name="Delete the sweep")
    expect_usable(delete)
    delete.click()
    expect(page).to_have_url(f"{live_server.url}/sweeps/")
    expect(page.locator("#sweeps-empty")).to_be_visible()
    assert not Sweep.objects.filter(pk=sweep.pk).exists()
    assert not Experiment.objects.filter(pk__in=[run.pk for run in runs.values()]).exists()


def test_a_running_sweep_is_cancelled_from_its_page(
    page: Page, live_server: Any, alice: Any, window: dict[str, int]
) -> None:
    sweep, runs = make_sweep(alice)
    log_in(page, live_server.url, alice.username)
    page.goto(f"{live_server.url}/sweeps/{sweep.pk}/")
    expect(page.locator("#sweep-status")).to_have_text("Running")
    cancel = page.get_by_role("button", name="Cancel the sweep")
    expect_usable(cancel)
    page.keyboard.press("Enter")
    expect(page.locator("#sweep-status")).to_have_text("Cancelled")
    expect(page.locator("#sweep-counts")).to_contain_text("5 of 6 done · 1 cancelled")
    expect(page.locator("#sweep-action-status")).to_contain_text("cancelled")
    expect(cancel).to_be_hidden()
    runs[RUNNING].refresh_from_db()
    assert runs[RUNNING].status == Experiment.Status.CANCELLED
    # The finished runs keep their results.
    expect(page.locator("#r-charts figure[data-class=box] .seed-dot")).to_have_count(5)
