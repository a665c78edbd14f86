"""Test accuracy in the history: the run table's column (sorted, in its CSV), the
comparison's runs, seed groups and CSV, and a sweep's summaries; runs on shapes have none."""

from __future__ import annotations

import csv
import io
import statistics
from typing import Any

import pytest
from rest_framework.test import APIClient

from experiments.models import Experiment
from sweeps import services as sweeps
from tests.factories import TINY_MLP, finished_run, queued_run
from tests.sweeps.helpers import BASE, finish

pytestmark = pytest.mark.django_db

DIGITS = ["digits:3", "digits:8"]


@pytest.fixture
def runs(alice: Any) -> list[Experiment]:
    """Three runs on digits (seeds 1 and 2 of one setting, one with more epochs) and one on
    shapes, oldest first."""
    return [
        finished_run(alice, classes=DIGITS, seed=1, epochs=5, rs=[0.4, 0.5]),
        finished_run(alice, classes=DIGITS, seed=2, epochs=5, rs=[0.3, 0.6]),
        finished_run(alice, classes=DIGITS, seed=1, epochs=9, rs=[0.2, 0.1]),
        finished_run(alice, classes=["box", "line"], seed=1, epochs=5),
    ]


def test_the_run_table_has_a_test_accuracy_column(
    alice_api: APIClient, runs: list[Experiment]
) -> None:
    body = alice_api.get("/api/v1/history/table/").json()
    column = next(c for c in body["columns"] if c["key"] == "test_accuracy")
    assert column == {"key": "test_accuracy", "label": "Test accuracy", "type": "percent"}
    by_id = {row["id"]: row for row in body["rows"]}
    for run in runs:
        assert by_id[run.pk]["test_accuracy"] == run.test_accuracy
    assert runs[0].test_accuracy is not None and runs[3].test_accuracy is None
    assert body["class_names"]["digits:3"] == "3"

    # More epochs, higher made-up accuracy; the shapes run has none and comes last.
    order = alice_api.get("/api/v1/history/table/", {"sort": "-test_accuracy"}).json()
    digits = sorted(runs[:3], key=lambda run: run.test_accuracy or 0.0, reverse=True)
    assert digits[0] == runs[2]
    assert [row["id"] for row in order["rows"]] == [run.pk for run in [*digits, runs[3]]]

    response = alice_api.get(
        "/api/v1/history/table/csv/", {"columns": "number,test_accuracy", "sort": "number"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [float(row["test_accuracy"]) for row in rows[:3]] == pytest.approx(
        [run.test_accuracy for run in runs[:3]]
    )
    assert rows[3]["test_accuracy"] == ""


def test_a_dataset_class_without_a_result_yet_is_named_as_its_dataset_names_it(
    alice: Any, alice_api: APIClient
) -> None:
    queued_run(alice, {**TINY_MLP, "classes": ["decoy:5", "decoy:6"]})
    body = alice_api.get("/api/v1/history/table/").json()
    assert body["class_names"] == {"decoy:5": "5 (decoy)", "decoy:6": "6 (decoy)"}
    assert body["rows"][0]["test_accuracy"] is None


def test_the_comparison_shows_test_accuracy_per_run_and_seed_group(
    alice_api: APIClient, runs: list[Experiment]
) -> None:
    ids = ",".join(str(run.pk) for run in runs[:3])
    body = alice_api.get("/api/v1/compare/", {"ids": ids}).json()
    assert [e["test_accuracy"] for e in body["experiments"]] == [r.test_accuracy for r in runs[:3]]
    template_urls = {row["key"]: row["template_url"] for row in body["classes"]}
    assert template_urls["digits:3"] == "/api/v1/datasets/classes/digits:3/template.png"

    group, single = body["seed_groups"]["units"]
    assert group["kind"] == "group" and group["ids"] == [runs[0].pk, runs[1].pk]
    values = [runs[0].test_accuracy, runs[1].test_accuracy]
    assert group["test_accuracy"]["n"] == 2
    assert group["test_accuracy"]["mean"] == pytest.approx(statistics.fmean(values))
    assert group["test_accuracy"]["sd"] == pytest.approx(statistics.stdev(values))
    assert single["test_accuracy"]["mean"] == pytest.approx(runs[2].test_accuracy)

    response = alice_api.get("/api/v1/compare/csv/", {"ids": ids})
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert float(lines[0]["test_accuracy"]) == pytest.approx(runs[0].test_accuracy)


def test_a_shapes_run_in_a_comparison_has_no_test_accuracy(
    alice_api: APIClient, runs: list[Experiment]
) -> None:
    ids = f"{runs[3].pk},{runs[0].pk}"
    body = alice_api.get("/api/v1/compare/", {"ids": ids}).json()
    assert body["experiments"][0]["test_accuracy"] is None
    assert body["seed_groups"]["units"][0]["test_accuracy"]["mean"] is None


def test_a_sweep_on_digits_summarises_test_accuracy(alice: Any, alice_api: APIClient) -> None:
    sweep = sweeps.sweep_create(
        user=alice, config={**BASE, "classes": DIGITS}, seeds=2, vary={"epochs": [2, 3]}
    )
    for member in sweep.members.select_related("experiment"):
        finish(member.experiment, rs=[0.3, 0.4])
    body = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/").json()
    runs = {row["id"]: row for row in body["experiments"]}
    stored = {e.pk: e.test_accuracy for e in Experiment.objects.filter(pk__in=runs)}
    assert all(runs[pk]["test_accuracy"] == value for pk, value in stored.items())
    for group in body["groups"]:
        members = [
            stored[row["id"]]
            for row in body["experiments"]
            if row["values"]["epochs"] == group["values"]["epochs"]
        ]
        assert group["mean_test_accuracy"] == pytest.approx(statistics.fmean(members))
        assert group["sd_test_accuracy"] == pytest.approx(statistics.stdev(members))
    response = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert all(row["test_accuracy"] for row in rows)
