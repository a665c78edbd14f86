"""A sweep from the API to the end, on a real worker (a ``manage.py qcluster`` process)."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from django_q.models import Task
from rest_framework.test import APIClient

from experiments.models import ClassResult, Experiment
from tests.factories import TINY_MLP
from tests.support.workers import Worker, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def sweep_status(client: APIClient, pk: int) -> str:
    return client.get(f"/api/v1/sweeps/{pk}/").json()["status"]


def test_a_two_seed_sweep_trains_on_the_worker_and_sums_up_its_runs(
    qcluster: Worker, alice_api: APIClient
) -> None:
    response = alice_api.post(
        "/api/v1/sweeps/", {"config": TINY_MLP, "seeds": 2, "name": "tiny"}, format="json"
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    ids = response.json()["experiments"]
    wait_until(
        lambda: sweep_status(alice_api, pk) not in ("queued", "running"),
        "the sweep",
        workers=[qcluster],
    )
    body = alice_api.get(f"/api/v1/sweeps/{pk}/").json()
    runs = Experiment.objects.filter(pk__in=ids)
    assert body["status"] == "done", [run.error for run in runs]
    assert {run.status for run in runs} == {"done"}
    # One task trained both runs (they differ only in the seed).
    wait_until(
        lambda: Task.objects.filter(func="sweeps.tasks.train_group").exists(),
        "the task's record",
        workers=[qcluster],
    )
    (task,) = Task.objects.filter(func="sweeps.tasks.train_group")
    assert task.success and task.result == "done 2 of 2"
    # The summary against each run's stored |r|, read from the database here.
    for row in body["summary"]:
        stored = [
            r
            for r in ClassResult.objects.filter(
                experiment_id__in=ids, class_key=row["class"]
            ).values_list("r", flat=True)
            if r is not None
        ]
        assert row["n"] == len(stored) == 2
        assert row["mean_r"] == pytest.approx(statistics.mean(stored))
        assert row["sd_r"] == pytest.approx(statistics.stdev(stored))
    assert body["finished_at"] is not None


def test_cancelling_a_running_sweep_stops_its_group(
    qcluster: Worker, alice_api: APIClient, alice: Any
) -> None:
    long = {**TINY_MLP, "epochs": 500, "copies": 10}
    response = alice_api.post("/api/v1/sweeps/", {"config": long, "seeds": 2}, format="json")
    pk = response.json()["id"]
    ids = response.json()["experiments"]

    def training() -> bool:
        runs = Experiment.objects.filter(pk__in=ids)
        return all(r.status == "running" and r.progress.get("phase") == "train" for r in runs)

    wait_until(training, "training to start", workers=[qcluster])
    cancel = alice_api.post(f"/api/v1/sweeps/{pk}/cancel/")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    wait_until(
        lambda: Task.objects.filter(func="sweeps.tasks.train_group").exists(),
        "the stop",
        workers=[qcluster],
    )
    (task,) = Task.objects.filter(func="sweeps.tasks.train_group")
    assert task.success and task.result == "cancelled"
    runs = Experiment.objects.filter(pk__in=ids)
    assert {run.status for run in runs} == {"cancelled"}
    assert all(run.progress["done"] < 500 for run in runs)
    assert not ClassResult.objects.filter(experiment_id__in=ids).exists()
