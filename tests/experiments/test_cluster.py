"""A real django-q cluster (a separate ``manage.py qcluster`` process) runs experiments."""

from __future__ import annotations

from typing import Any

import pytest
from django_q.models import Task
from rest_framework.test import APIClient

from experiments.models import Experiment
from tests.factories import TINY_MLP_THREE_CLASSES
from tests.support.workers import Worker, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def status_of(pk: int) -> str:
    return Experiment.objects.values_list("status", flat=True).get(pk=pk)


def test_the_cluster_runs_a_queued_experiment_to_the_end(
    qcluster: Worker, alice_api: APIClient
) -> None:
    response = alice_api.post("/api/v1/experiments/", TINY_MLP_THREE_CLASSES, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    wait_until(lambda: status_of(pk) not in ("queued", "running"), "the run", workers=[qcluster])

    body = alice_api.get(f"/api/v1/experiments/{pk}/").json()
    assert body["status"] == "done", body["error"]
    assert len(body["results"]) == 3
    image = alice_api.get(body["results"][0]["image_url"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    # The cluster's monitor records the task's own result just after it returns.
    wait_until(
        lambda: Task.objects.filter(name=f"experiment-{pk}").exists(),
        "the task",
        workers=[qcluster],
    )
    task = Task.objects.get(name=f"experiment-{pk}")
    assert task.success and task.result == "done"


def test_a_running_experiment_is_cancelled_by_its_worker(
    qcluster: Worker, alice_api: APIClient, alice: Any
) -> None:
    response = alice_api.post(
        "/api/v1/experiments/",
        {**TINY_MLP_THREE_CLASSES, "epochs": 500, "copies": 10},
        format="json",
    )
    pk = response.json()["id"]

    def training() -> bool:
        experiment = Experiment.objects.get(pk=pk)
        return experiment.status == "running" and experiment.progress.get("phase") == "train"

    wait_until(training, "training to start", workers=[qcluster])
    cancel = alice_api.post(f"/api/v1/experiments/{pk}/cancel/")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    wait_until(
        lambda: Task.objects.filter(name=f"experiment-{pk}").exists(),
        "the stop",
        workers=[qcluster],
    )

    task = Task.objects.get(name=f"experiment-{pk}")
    assert task.success and task.result == "cancelled"
    experiment = Experiment.objects.get(pk=pk)
    assert experiment.status == "cancelled"
    assert experiment.progress["done"] < 500
    assert not experiment.results.exists()
