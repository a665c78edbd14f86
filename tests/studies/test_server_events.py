"""Study events the server records itself: a participant's run, drawing, highlight and
comparison through the API each leave exactly one event with the page's old type and data;
anyone outside an open study leaves none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from experiments import services as experiment_services
from experiments.models import Experiment
from studies import services
from studies.models import Event, Study
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db

BAR = [[1.0 if 10 <= column <= 17 else 0.0 for column in range(28)] for _ in range(28)]
TOP = [[1 if row < 8 else 0 for _ in range(28)] for row in range(28)]
EMPTY = [[0] * 28 for _ in range(28)]

# An action through the API: (client, user) -> (type, page, data) of the event it should log.
Action = Callable[[APIClient, Any], tuple[str, str, dict[str, Any]]]


def start_a_run(api: APIClient, user: Any) -> tuple[str, str, dict[str, Any]]:
    response = api.post("/api/v1/experiments/", TINY_MLP, format="json")
    assert response.status_code == 201, response.content
    data = {"classes": ["box", "line"], "model": "mlp", "highlight": "none", "kind": "train"}
    return "run_started", f"/api/v1/experiments/{response.json()['id']}/", data


def rerun_a_run(api: APIClient, user: Any) -> tuple[str, str, dict[str, Any]]:
    source = Experiment.objects.filter(owner=user).earliest("id")
    response = api.post(f"/api/v1/experiments/{source.pk}/rerun/", {"seed": 9}, format="json")
    assert response.status_code == 201, response.content
    data = {
        "classes": ["box", "line"],
        "model": "mlp",
        "highlight": "none",
        "kind": "train",
        "from": f"/api/v1/experiments/{source.pk}/",
    }
    return "run_started", f"/api/v1/experiments/{response.json()['id']}/", data


def save_a_drawing(api: APIClient, user: Any) -> tuple[str, str, dict[str, Any]]:
    body = {"name": "Bar", "pixels": BAR, "strokes": 3}
    response = api.post("/api/v1/classes/", body, format="json")
    assert response.status_code == 201, response.content
    return "drawing_saved", f"/api/v1/classes/{response.json()['id']}/", {"strokes": 3}


def redraw_without_a_count(api: APIClient, user: Any) -> tuple[str, str, dict[str, Any]]:
    pk = api.post("/api/v1/classes/", {"name": "Bar", "pixels": BAR}, format="json").json()["id"]
    Event.objects.all().delete()  # only the redrawing is looked at
    body = {"name": "Bars", "pixels": BAR, "strokes": "many"}
    response = api.put(f"/api/v1/classes/{pk}/", body, format="json")
    assert response.status_code == 200, response.content
    return "drawing_saved", f"/api/v1/classes/{pk}/", {"strokes": None}


def paint_a_highlight(api: APIClient, user: Any) -> tuple[str, str, dict[str, Any]]:
    body = {"class": "box", "relevant": TOP, "irrelevant": EMPTY, "strokes": 5}
    response = api.post("/api/v1/highlights/", body, format="json")
    assert response.status_code == 201, response.content
    return "highlight_painted", f"/api/v1/highlights/{response.json()['id']}/", {"strokes": 5}


def open_a_comparison(api: APIClient, user: Any) -> tuple[str, str, dict[str, Any]]:
    first, second = Experiment.objects.filter(owner=user).order_by("id")[:2]
    response = api.get(f"/api/v1/compare/?ids={second.pk},{first.pk}")
    assert response.status_code == 200, response.content
    return "comparison_opened", "/api/v1/compare/", {"ids": [second.pk, first.pk]}


ACTIONS = [
    start_a_run,
    rerun_a_run,
    save_a_drawing,
    redraw_without_a_count,
    paint_a_highlight,
    open_a_comparison,
]


def two_runs(user: Any) -> None:
    """What the rerun and the comparison need, made before the user joins (so logged by none)."""
    for seed in (1, 2):
        experiment_services.experiment_create(user=user, config={**TINY_MLP, "seed": seed})


@pytest.mark.parametrize("action", ACTIONS)
def test_a_participants_action_is_logged_once_by_the_server(
    alice_api: APIClient, alice: Any, study: Study, action: Action
) -> None:
    two_runs(alice)
    services.participant_join(user=alice, invite_code=study.invite_code)
    kind, page, data = action(alice_api, alice)
    event = Event.objects.get()
    assert (event.type, event.page, event.data) == (kind, page, data)
    assert event.participant.user == alice and event.participant.study == study
    # Recorded by the server: both clocks are the server's.
    assert abs(event.server_time - event.client_time) < timedelta(seconds=5)


@pytest.mark.parametrize("action", ACTIONS)
def test_no_event_outside_an_open_study(
    bob_api: APIClient, bob: Any, alice: Any, study: Study, action: Action
) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)  # someone else is in it
    two_runs(bob)
    action(bob_api, bob)
    assert not Event.objects.exists()


def test_no_event_once_the_study_is_closed(alice_api: APIClient, alice: Any, study: Study) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    Study.objects.filter(pk=study.pk).update(is_open=False)
    start_a_run(alice_api, alice)
    save_a_drawing(alice_api, alice)
    assert not Event.objects.exists()


def test_a_refused_action_is_not_logged(alice_api: APIClient, alice: Any, study: Study) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    blank = {"name": "Blank", "pixels": [[0.0] * 28] * 28, "strokes": 1}
    assert alice_api.post("/api/v1/classes/", blank, format="json").status_code == 400
    assert alice_api.get("/api/v1/compare/?ids=1,999").status_code == 404
    too_big = {**TINY_MLP, "epochs": 10**6}
    assert alice_api.post("/api/v1/experiments/", too_big, format="json").status_code == 400
    assert not Event.objects.exists()


def test_the_page_still_logs_what_only_it_knows(
    alice_api: APIClient, alice: Any, study: Study
) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    start_a_run(alice_api, alice)
    pick = {"type": "classes_selected", "client_time": "2026-11-25T10:00:00Z", "page": "/builder/"}
    assert alice_api.post("/api/v1/events/", {"events": [pick]}, format="json").status_code == 201
    assert [(e.type, e.page.startswith("/api/")) for e in Event.objects.order_by("id")] == [
        ("run_started", True),
        ("classes_selected", False),
    ]
