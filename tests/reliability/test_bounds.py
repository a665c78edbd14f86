"""Time and memory bounds: task timeout below the broker's retry, recycling, run sizes."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from experiments.models import Experiment

pytestmark = pytest.mark.django_db


def test_a_task_times_out_before_the_broker_would_hand_it_out_again() -> None:
    cluster = django_settings.Q_CLUSTER
    assert cluster["timeout"] == django_settings.TASK_TIMEOUT
    assert cluster["retry"] > cluster["timeout"]
    # A live run beats well within the task's time: the watchdog never fails a running one.
    assert django_settings.HEARTBEAT_TIMEOUT < django_settings.TASK_TIMEOUT


def test_workers_are_recycled_and_failures_are_not_retried_by_the_broker() -> None:
    cluster = django_settings.Q_CLUSTER
    assert 1 <= cluster["recycle"] <= 100
    assert cluster["max_attempts"] == 1


@pytest.mark.parametrize(
    ("field", "value", "setting"),
    [("epochs", 501, "MAX_EPOCHS"), ("max_steps", 5001, "MAX_STEPS")],
)
def test_epochs_and_steps_are_bounded(
    alice_api: APIClient, field: str, value: int, setting: str
) -> None:
    assert getattr(django_settings, setting) == value - 1
    response = alice_api.post("/api/v1/experiments/", {"classes": ["box", "line"], field: value})
    assert response.status_code == 400
    assert f"at most {value - 1} on this server" in response.json()[field][0]
    assert not Experiment.objects.exists()


def test_the_number_of_classes_is_bounded(alice_api: APIClient, settings: Any) -> None:
    settings.MAX_CLASSES = 3
    response = alice_api.post("/api/v1/experiments/", {"classes": ["box", "line", "circle", "tri"]})
    assert response.status_code == 400
    assert "at most 3 classes" in response.json()["classes"][0]


def test_the_training_set_size_is_bounded(alice_api: APIClient, settings: Any) -> None:
    settings.MAX_TRAINING_IMAGES = 100
    classes = ["box", "line", "circle", "tri"]
    response = alice_api.post("/api/v1/experiments/", {"classes": classes, "copies": 26})
    assert response.status_code == 400
    message = response.json()["copies"][0]
    assert "104 training images" in message and "at most 25 copies" in message
    assert not Experiment.objects.exists()
    accepted = alice_api.post(
        "/api/v1/experiments/", {"classes": classes, "copies": 25, "epochs": 1, "max_steps": 2}
    )
    assert accepted.status_code == 201, accepted.json()


def test_database_connections_are_checked_before_reuse() -> None:
    # After a database restart a kept connection is found dead and replaced, not used.
    assert django_settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
