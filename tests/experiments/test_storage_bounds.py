"""Bounds on what one run and one user may take: snapshots, storage, and worker time."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from experiments import services, tasks
from experiments.models import Experiment
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db

LIST = "/api/v1/experiments/"


def test_snapshots_are_bounded_per_run(alice_api: APIClient, settings: Any) -> None:
    settings.MAX_SNAPSHOT_FRAMES = 100
    config = {**TINY_MLP, "max_steps": 5000, "snapshot_every": 1}
    response = alice_api.post(LIST, config, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["snapshot_every"]
    assert "every 50 steps or more" in response.json()["snapshot_every"][0]
    assert not Experiment.objects.exists()
    assert alice_api.post(LIST, {**config, "snapshot_every": 50}, format="json").status_code == 201


def test_a_finished_run_records_what_it_stores(alice: Any) -> None:
    experiment = services.experiment_create(user=alice, config={**TINY_MLP, "snapshot_every": 2})
    assert tasks.train_and_visualize(experiment.pk) == "done"
    experiment.refresh_from_db()
    files = default_storage.size(experiment.weights.name) + sum(
        default_storage.size(r.image.name) + default_storage.size(r.template.name)
        for r in experiment.results.all()
    )
    arrays = sum(len(r.image_raw) + len(r.snapshots) for r in experiment.results.all())
    assert experiment.stored_bytes == files + arrays > 0
    assert services.storage_used(user=alice) == experiment.stored_bytes


def test_new_runs_are_refused_once_the_users_storage_is_full(
    alice: Any, alice_api: APIClient, bob_api: APIClient, settings: Any
) -> None:
    settings.STORAGE_QUOTA_MB = 1
    experiment = services.experiment_create(user=alice, config=TINY_MLP)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    Experiment.objects.filter(pk=experiment.pk).update(stored_bytes=2**20)
    response = alice_api.post(LIST, TINY_MLP, format="json")
    assert response.status_code == 429
    assert "delete some runs" in response.json()["detail"]
    assert Experiment.objects.filter(owner=alice).count() == 1
    # Another user's storage is their own.
    assert bob_api.post(LIST, TINY_MLP, format="json").status_code == 201
    # Deleting frees it again.
    assert alice_api.delete(f"{LIST}{experiment.pk}/").status_code == 204
    assert alice_api.post(LIST, TINY_MLP, format="json").status_code == 201


def test_a_run_over_the_compute_budget_is_refused_with_its_estimate(
    alice_api: APIClient, settings: Any
) -> None:
    settings.MAX_RUN_SECONDS = 60
    heavy = {**TINY_MLP, "model": "cnn_deep", "epochs": 400, "copies": 50, "batch_size": 1}
    response = alice_api.post(LIST, heavy, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["epochs"]
    assert "would keep a worker busy for about" in response.json()["epochs"][0]
    assert "allows 60 s per run" in response.json()["epochs"][0]
    assert not Experiment.objects.exists()
    # The paper preset fits the default budget.
    settings.MAX_RUN_SECONDS = 300
    paper = {"classes": ["box", "line", "circle", "tri", "noise", "noise_blur"], "model": "cnn"}
    assert alice_api.post(LIST, paper, format="json").status_code == 201
