"""Limits: per-user throttles, the cap on active experiments (also under concurrency), the
page-size cap, the request-body limit, and CSRF on session writes. Each refusal says why."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django_q.conf import Conf
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from experiments import services
from experiments.models import Experiment
from tests.factories import TINY_MLP

LIST = "/api/v1/experiments/"


def make(user: Any, **changes: Any) -> Experiment:
    return services.experiment_create(user=user, config={**TINY_MLP, **changes})


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF reads the rates once, when the throttle class is defined.
    rates = {**ScopedRateThrottle.THROTTLE_RATES}
    rates.update({"experiment_create": "2/minute", "experiment_revisualize": "1/minute"})
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)


@pytest.mark.django_db
def test_creating_experiments_is_throttled_per_user(
    low_rates: None, alice_api: APIClient, bob_api: APIClient, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 10
    assert alice_api.post(LIST, TINY_MLP, format="json").status_code == 201
    assert alice_api.post(LIST, TINY_MLP, format="json").status_code == 201
    third = alice_api.post(LIST, TINY_MLP, format="json")
    assert third.status_code == 429
    assert "throttled" in third.json()["detail"].lower()
    # A re-run starts training too: it counts against the same rate.
    source = Experiment.objects.first()
    assert alice_api.post(f"{LIST}{source.pk}/rerun/", {}, format="json").status_code == 429
    assert Experiment.objects.count() == 2
    # Each user has a rate of their own.
    assert bob_api.post(LIST, TINY_MLP, format="json").status_code == 201


@pytest.mark.django_db
def test_revisualizing_is_throttled_per_user(
    low_rates: None, alice_api: APIClient, alice: Any
) -> None:
    source = make(alice)
    Experiment.objects.filter(pk=source.pk).update(status="done")
    # The first request passes the throttle (and is then refused: no weights); the second not.
    assert alice_api.post(f"{LIST}{source.pk}/revisualize/", {}, format="json").status_code == 409
    second = alice_api.post(f"{LIST}{source.pk}/revisualize/", {}, format="json")
    assert second.status_code == 429 and "throttled" in second.json()["detail"].lower()


@pytest.mark.django_db
def test_the_cap_on_active_experiments_covers_create_rerun_and_revisualize(
    alice_api: APIClient, alice: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 2
    first = make(alice)
    make(alice)
    for url, body in [
        (LIST, TINY_MLP),
        (f"{LIST}{first.pk}/rerun/", {}),
    ]:
        response = alice_api.post(url, body, format="json")
        assert response.status_code == 429
        assert "2 experiments queued or running" in response.json()["detail"]
    assert Experiment.objects.count() == 2
    # Once one finishes there is room again.
    Experiment.objects.filter(pk=first.pk).update(status="cancelled")
    assert alice_api.post(f"{LIST}{first.pk}/rerun/", {}, format="json").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_cannot_both_pass_the_cap(
    alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests count the active runs at once; the lock on the user's row (PostgreSQL)
    or the database's single writer (SQLite) lets only one of them in."""
    settings.MAX_ACTIVE_EXPERIMENTS = 1
    monkeypatch.setattr(Conf, "SYNC", False)  # queue the task, do not train it here
    for _round in range(3):
        Experiment.objects.filter(owner=alice).update(status="done")
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def create(barrier: threading.Barrier = barrier, outcomes: list[str] = outcomes) -> None:
            try:
                barrier.wait(timeout=10)
                make(alice)
                outcomes.append("created")
            except services.TooManyActive:
                outcomes.append("refused")
            finally:
                connection.close()

        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["created", "refused"]
        assert Experiment.objects.filter(owner=alice, status="queued").count() == 1


@pytest.mark.django_db
def test_a_page_holds_at_most_100_experiments(alice_api: APIClient, alice: Any) -> None:
    template = make(alice)
    Experiment.objects.bulk_create(
        Experiment(
            owner=alice,
            number=number,
            config=template.config,
            model_name="mlp",
            class_keys=template.class_keys,
            seed=3,
            status="done",
        )
        for number in range(2, 106)
    )
    body = alice_api.get(f"{LIST}?page_size=1000").json()
    assert body["count"] == 105 and len(body["results"]) == 100
    assert len(alice_api.get(LIST).json()["results"]) == 20


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST, "/api/v1/events/", "/api/v1/studies/join/"])
def test_a_body_over_the_limit_is_refused_with_the_reason(
    alice_api: APIClient, settings: Any, url: str
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = alice_api.post(url, {**TINY_MLP, "padding": "x" * 20_000}, format="json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert not Experiment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "{pk}/rerun/"),
        ("post", "{pk}/revisualize/"),
        ("delete", "{pk}/"),
    ],
)
def test_session_writes_need_the_csrf_token(alice: Any, method: str, path: str) -> None:
    experiment = make(alice)
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(alice)
    response = getattr(session, method)(LIST + path.format(pk=experiment.pk), {}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert list(Experiment.objects.values_list("pk", flat=True)) == [experiment.pk]
