"""A re-visualization on a real django-q cluster (a separate ``manage.py qcluster`` process):
the worker trains a run, then loads its stored weights and generates new images."""

from __future__ import annotations

import pytest
from django_q.models import Task
from rest_framework.test import APIClient

from experiments.models import Experiment
from tests.experiments.test_cluster import status_of
from tests.factories import TINY_MLP_THREE_CLASSES
from tests.support.workers import Worker, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def test_the_cluster_revisualizes_from_stored_weights(
    qcluster: Worker, alice_api: APIClient
) -> None:
    created = alice_api.post("/api/v1/experiments/", TINY_MLP_THREE_CLASSES, format="json")
    source = created.json()["id"]
    wait_until(
        lambda: status_of(source) not in ("queued", "running"), "the training", workers=[qcluster]
    )
    assert status_of(source) == "done", Experiment.objects.get(pk=source).error

    response = alice_api.post(
        f"/api/v1/experiments/{source}/revisualize/",
        {"initial_image": "white", "max_steps": 8},
        format="json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    wait_until(
        lambda: status_of(pk) not in ("queued", "running"),
        "the re-visualization",
        workers=[qcluster],
    )
    body = alice_api.get(f"/api/v1/experiments/{pk}/").json()
    assert body["status"] == "done", body["error"]
    assert body["kind"] == "revisualize" and body["source"] == source
    assert body["config"]["initial_image"] == "white" and body["timings"]["train_s"] == 0.0
    assert len(body["results"]) == len(TINY_MLP_THREE_CLASSES["classes"])
    wait_until(
        lambda: Task.objects.filter(name=f"experiment-{pk}").exists(),
        "the task",
        workers=[qcluster],
    )
    task = Task.objects.get(name=f"experiment-{pk}")
    assert task.func == "experiments.tasks.revisualize_task" and task.result == "done"
