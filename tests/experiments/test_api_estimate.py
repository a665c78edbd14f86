"""POST /api/v1/experiments/estimate/: a run's estimated worker time against the budget,
validated as a create is, with nothing stored or started."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from experiments.models import Experiment
from models_zoo.budget import estimate_seconds
from models_zoo.config import RunConfig

pytestmark = pytest.mark.django_db

URL = "/api/v1/experiments/estimate/"
SETTINGS = {"classes": ["box", "line", "circle"], "epochs": 20, "copies": 10, "max_steps": 200}


def test_it_works(alice_api: APIClient, settings: Any) -> None:
    response = alice_api.post(URL, {**SETTINGS, "model": "cnn", "batch_size": 8}, format="json")
    assert response.status_code == 200, response.content
    expected = estimate_seconds(RunConfig.from_dict({**SETTINGS, "model": "cnn", "batch_size": 8}))
    assert response.json() == {
        "seconds": pytest.approx(expected),
        "limit": settings.MAX_RUN_SECONDS,
    }
    assert not Experiment.objects.exists()


def test_the_estimate_follows_the_settings(alice_api: APIClient) -> None:
    def seconds(**changes: Any) -> float:
        response = alice_api.post(URL, {**SETTINGS, **changes}, format="json")
        assert response.status_code == 200, response.content
        return float(response.json()["seconds"])

    assert seconds(epochs=40) > seconds(epochs=20)
    assert seconds(model="cnn") > seconds(model="mlp")
    assert seconds(batch_size=32) < seconds(batch_size=4)


def test_a_run_over_the_budget_is_estimated_and_its_create_refused(
    alice_api: APIClient, settings: Any
) -> None:
    settings.MAX_RUN_SECONDS = 10
    heavy = {**SETTINGS, "model": "cnn", "epochs": 200, "copies": 50}
    response = alice_api.post(URL, heavy, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["limit"] == 10 and body["seconds"] > 10
    created = alice_api.post("/api/v1/experiments/", heavy, format="json")
    assert created.status_code == 400 and "epochs" in created.json()
    assert not Experiment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"epochs": 0}, "epochs"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"threshold": 1}, "threshold"),
        ({"colour": "red"}, "colour"),
        ({"classes": ["box"]}, "classes"),
        # Only the service knows the training set's size: it is checked too.
        (
            {"classes": ["box", "line", "circle", "tri", "house", "tl", "br"], "copies": 100},
            "copies",
        ),
    ],
)
def test_invalid_settings_are_a_400_naming_the_field(
    alice_api: APIClient, changes: dict[str, Any], field: str
) -> None:
    response = alice_api.post(URL, {**SETTINGS, **changes}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Experiment.objects.exists()


def test_it_needs_a_login(client: Any) -> None:
    response = APIClient().post(URL, SETTINGS, format="json")
    assert response.status_code in (401, 403)
