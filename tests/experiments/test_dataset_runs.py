"""A real tiny run on handwritten digits, through the services and the task as a request
starts one: its accuracy on the held-out test images lands in the row, the API, the run
table, the comparison and a re-visualization of it; a shapes run has none."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from experiments import services, tasks
from experiments.models import Experiment
from models_zoo import datasets
from tests.factories import TINY_MLP, trained_run

pytestmark = pytest.mark.django_db

# Two digits, one epoch (batches of the dataset's default size), five steps per image.
TINY_DIGITS: dict[str, Any] = {
    **TINY_MLP,
    "classes": ["digits:0", "digits:1"],
    "epochs": 1,
    "max_steps": 5,
}


def test_a_tiny_digits_run_stores_its_test_accuracy(alice: Any, alice_api: APIClient) -> None:
    experiment = trained_run(alice, TINY_DIGITS)
    assert experiment.config["batch_size"] == datasets.DATASETS["digits"].defaults["batch_size"]

    training = experiment.training
    confusion = np.asarray(training["test_confusion"])
    # Every held-out image of the two digits, rows the true class in the run's order.
    held_out = datasets.load("digits").y_test
    assert confusion.shape == (2, 2)
    assert confusion.sum(axis=1).tolist() == [np.sum(held_out == d) for d in (0, 1)]
    assert experiment.test_accuracy == pytest.approx(np.trace(confusion) / confusion.sum())
    assert training["test_accuracy"] == pytest.approx(experiment.test_accuracy)
    per_class = confusion.diagonal() / confusion.sum(axis=1)
    assert training["test_per_class_accuracy"] == pytest.approx(per_class.tolist())
    # The training data's matrix is kept split too: fitted on, and held out for validation.
    fitted, validation = (np.asarray(training[key]) for key in ("train_confusion", "val_confusion"))
    np.testing.assert_array_equal(fitted + validation, np.asarray(training["confusion"]))
    assert validation.sum() == round(0.1 * np.asarray(training["confusion"]).sum())
    # Zeros and ones are easy: one epoch tells them apart on images it never saw.
    assert experiment.test_accuracy > 0.9

    body = alice_api.get(f"/api/v1/experiments/{experiment.pk}/").json()
    assert body["test_accuracy"] == pytest.approx(experiment.test_accuracy)
    assert body["training"]["test_confusion"] == confusion.tolist()
    assert [result["name"] for result in body["results"]] == ["0", "1"]
    assert experiment.results.get(position=0).class_key == "digits:0"

    row = alice_api.get("/api/v1/history/table/").json()["rows"][0]
    assert row["test_accuracy"] == pytest.approx(experiment.test_accuracy)


def test_a_re_visualization_keeps_its_sources_test_accuracy(alice: Any) -> None:
    source = trained_run(alice, TINY_DIGITS)
    again = services.experiment_revisualize(user=alice, source=source, changes={"max_steps": 3})
    assert again.trained_on[0]["dataset"] == "digits"
    tasks.revisualize_task(again.pk)
    again.refresh_from_db()
    assert again.status == Experiment.Status.DONE, again.error
    assert again.test_accuracy == source.test_accuracy
    assert again.training["test_confusion"] == source.training["test_confusion"]


def test_a_shapes_run_has_no_test_accuracy(alice: Any, alice_api: APIClient) -> None:
    experiment = trained_run(alice, {**TINY_MLP, "epochs": 1})
    assert experiment.test_accuracy is None
    assert experiment.training["test_accuracy"] is None
    assert experiment.training["test_confusion"] == []
    assert experiment.training["test_per_class_accuracy"] == []
    body = alice_api.get(f"/api/v1/experiments/{experiment.pk}/").json()
    assert body["test_accuracy"] is None


def test_a_sweep_group_on_digits_stores_each_members_test_accuracy(
    alice: Any, alice_api: APIClient
) -> None:
    # Imported here: the sweeps app is a feature above the runs.
    from sweeps import services as sweeps
    from sweeps import tasks as sweep_tasks

    sweep = sweeps.sweep_create(user=alice, config=TINY_DIGITS, seeds=2, vary=None)
    ids = list(sweep.members.order_by("position").values_list("experiment_id", flat=True))
    assert sweep_tasks.train_group(ids) == "done 2 of 2"
    runs = list(Experiment.objects.filter(pk__in=ids).order_by("seed"))
    for run in runs:
        assert run.status == Experiment.Status.DONE, run.error
        confusion = np.asarray(run.training["test_confusion"])
        assert confusion.shape == (2, 2)
        assert run.test_accuracy == pytest.approx(np.trace(confusion) / confusion.sum())
    body = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/").json()
    mean = float(np.mean([run.test_accuracy for run in runs]))
    assert body["groups"][0]["mean_test_accuracy"] == pytest.approx(mean)
