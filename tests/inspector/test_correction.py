"""Training again with the penalty: a run's corrected twin, and the share of each map's
attribution inside the red region."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from drawing import services as drawing_services
from experiments import tasks as experiment_tasks
from experiments.models import Experiment
from models_zoo.attribution import region_share
from tests.factories import TINY_MLP, queued_run, trained_run
from tests.inspector.test_attributions_api import queue_and_compute

pytestmark = pytest.mark.django_db

EMPTY = [[0] * 28 for _ in range(28)]
# A corner marker: the top-left corner, outside the box.
RED = np.zeros((28, 28), dtype=int)
RED[0:5, 0:5] = 1


def correct(experiment: Experiment) -> str:
    return f"/api/v1/experiments/{experiment.pk}/correct/"


def test_without_a_red_region_it_is_a_400_naming_the_field(
    alice_api: APIClient, alice: Any
) -> None:
    experiment = queued_run(alice)
    response = alice_api.post(correct(experiment))
    assert response.status_code == 400
    assert "red region" in response.json()["irrelevant"][0]
    assert Experiment.objects.count() == 1


def test_another_users_run_is_a_404(alice: Any, bob: Any, bob_api: APIClient) -> None:
    drawing_services.highlight_save(user=bob, ref="box", relevant=EMPTY, irrelevant=RED.tolist())
    assert bob_api.post(correct(queued_run(alice))).status_code == 404
    assert Experiment.objects.count() == 1


@override_settings(MAX_ACTIVE_EXPERIMENTS=1)
def test_it_counts_against_the_active_run_limit(alice_api: APIClient, alice: Any) -> None:
    experiment = queued_run(alice)
    drawing_services.highlight_save(user=alice, ref="box", relevant=EMPTY, irrelevant=RED.tolist())
    response = alice_api.post(correct(experiment))
    assert response.status_code == 429, response.content
    assert Experiment.objects.count() == 1


def test_the_corrected_run_uses_the_new_mask_and_the_shares_follow_it(
    alice_api: APIClient, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    source = trained_run(alice, TINY_MLP)
    params = {"class": "box", "method": "saliency"}
    before = queue_and_compute(alice_api, source, django_capture_on_commit_callbacks, **params)
    # The run was trained without a red region: no share to give.
    assert "red_share" not in before and "red_region" not in before

    drawing_services.highlight_save(user=alice, ref="box", relevant=EMPTY, irrelevant=RED.tolist())
    with django_capture_on_commit_callbacks(execute=False):
        response = alice_api.post(correct(source))
    assert response.status_code == 201, response.json()
    corrected = Experiment.objects.get(pk=response.json()["id"])
    assert corrected.source_id == source.pk
    assert corrected.config == {**source.config, "highlight": "rrr"}
    assert corrected.seed == source.seed
    box = next(item for item in corrected.trained_on if item["key"] == "box")
    assert box["irrelevant"] == RED.tolist()
    assert box["pixels"] == source.trained_on[0]["pixels"]
    # The source keeps its own copy.
    source.refresh_from_db()
    assert source.trained_on[0].get("irrelevant") is None

    experiment_tasks.train_and_visualize(corrected.pk)
    corrected.refresh_from_db()
    assert corrected.status == Experiment.Status.DONE, corrected.error
    after = queue_and_compute(alice_api, corrected, django_capture_on_commit_callbacks, **params)
    expected = region_share(np.asarray(after["map"]), RED)
    assert expected is not None
    assert after["red_share"] == pytest.approx(expected)
    assert after["red_region"] == RED.tolist()
    assert 0.0 <= after["red_share"] <= 1.0
