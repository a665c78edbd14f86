"""A run's own page, rendered by the server: its owner sees its settings, where it came from
and the runs made from it, with the addresses its script reads; anyone else gets a 404."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from experiments import services
from experiments.models import Experiment
from tests.factories import finished_run, queued_run

pytestmark = pytest.mark.django_db


def page_settings(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script id="run-settings-data" type="application/json">(.*?)</script>', html
    )
    assert match, "the page hands its script no settings"
    return json.loads(match.group(1))


def test_the_owner_sees_the_runs_page(alice_client: Client, alice: Any) -> None:
    run = finished_run(alice, classes=["box", "line"], seed=3, snapshot_frames=4, epochs=6)
    answer = alice_client.get(reverse("run-page", args=[run.pk]))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert f"Run [{run.number}]" in html
    for element in [
        'id="run-images"',
        'id="view-diverging"',
        'id="diverging-legend"',
        'id="zoom"',
        'id="loss-chart"',
        'id="accuracy-chart"',
        'id="confusions"',
        'id="per-class-table"',
        'id="heatmaps"',
        'id="scrubber"',
        'id="follow-ups"',
        "js/run.js",
        "vendor/d3/d3.min.js",
    ]:
        assert element in html, element
    # Every stored setting, by its builder label, classes by name.
    assert '<div data-setting="epochs"><dt>Epochs</dt><dd>6</dd></div>' in html
    assert '<div data-setting="seed"><dt>Seed</dt><dd>3</dd></div>' in html
    assert "<dd>Box, Vertical line</dd>" in html
    # The addresses the script reads, and the snapshot frames each class kept.
    data = page_settings(html)
    assert data["detailUrl"] == reverse("api:experiment-detail", args=[run.pk])
    assert data["resultsUrl"] + "1/array/" == reverse("api:result-array", args=[run.pk, 1])
    assert data["snapshotsUrl"] + "0/snapshots/2.png" == reverse(
        "api:result-snapshot", args=[run.pk, 0, 2]
    )
    assert data["snapshotFrames"] == {"0": 4, "1": 4}


def test_a_run_without_snapshots_has_no_frames(alice_client: Client, alice: Any) -> None:
    run = finished_run(alice)
    data = page_settings(alice_client.get(reverse("run-page", args=[run.pk])).content.decode())
    assert data["snapshotFrames"] == {"0": 0, "1": 0}


def test_it_links_its_source_and_its_follow_ups(alice_client: Client, alice: Any) -> None:
    source = finished_run(alice, seed=1)
    again = services.experiment_rerun(user=alice, source=source, seed=42)
    # New images need stored weights, which a run made without training lacks: the row a
    # re-visualization leaves is made by hand.
    images = queued_run(alice)
    Experiment.objects.filter(pk=images.pk).update(kind=Experiment.Kind.REVISUALIZE, source=source)
    html = alice_client.get(reverse("run-page", args=[source.pk])).content.decode()
    assert (
        f'href="{reverse("run-page", args=[again.pk])}">Run [{again.number}]</a>: '
        "a re-run with seed 42" in html
    )
    assert (
        f'href="{reverse("run-page", args=[images.pk])}">Run [{images.number}]</a>: '
        "new images from its weights"
    ) in html
    html = alice_client.get(reverse("run-page", args=[images.pk])).content.decode()
    source_link = f'href="{reverse("run-page", args=[source.pk])}">run [{source.number}]</a>'
    assert f"New images from the weights of <a {source_link}" in html


def test_the_source_page_hands_its_corrections_to_the_script(
    alice_client: Client, alice: Any
) -> None:
    source = finished_run(alice, seed=1)
    services.experiment_rerun(user=alice, source=source, seed=42)  # not a correction
    corrected = queued_run(alice)
    Experiment.objects.filter(pk=corrected.pk).update(
        source=source, seed=source.seed, config={**source.config, "highlight": "rrr"}
    )
    html = alice_client.get(reverse("run-page", args=[source.pk])).content.decode()
    assert page_settings(html)["corrections"] == [
        {"id": corrected.pk, "number": corrected.number, "status": "queued"}
    ]
    assert (
        f'href="{reverse("run-page", args=[corrected.pk])}">Run [{corrected.number}]</a>: '
        "trained again with the penalty on the red regions, seed 1"
    ) in html
    assert 'id="before-after-section"' in html
    # The corrected run has none of its own.
    html = alice_client.get(reverse("run-page", args=[corrected.pk])).content.decode()
    assert page_settings(html)["corrections"] == []


def test_a_queued_run_has_its_page_too(alice_client: Client, alice: Any) -> None:
    run = queued_run(alice)
    answer = alice_client.get(reverse("run-page", args=[run.pk]))
    assert answer.status_code == 200
    assert 'id="run-status">Queued<' in answer.content.decode()


def test_another_users_run_is_not_found(bob_client: Client, alice: Any) -> None:
    run = finished_run(alice)
    assert bob_client.get(reverse("run-page", args=[run.pk])).status_code == 404
    assert bob_client.get(reverse("run-page", args=[run.pk + 1000])).status_code == 404


def test_it_asks_to_log_in(client: Client, alice: Any) -> None:
    run = finished_run(alice)
    answer = client.get(reverse("run-page", args=[run.pk]))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_the_history_row_links_the_page(alice_client: Client, alice: Any) -> None:
    run = finished_run(alice)
    html = alice_client.get(reverse("history")).content.decode()
    assert f'href="{reverse("run-page", args=[run.pk])}"' in html
