"""The studies API: staff only where it should be, balanced assignment, conditions enforced
on runs, an append-only event log, validation naming the field, CSRF on session writes."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from drawing.models import ShapeClass
from experiments import services as experiment_services
from experiments.models import Experiment
from studies import services
from studies.models import Event, Participant, Study, StudyExperiment
from tests.factories import TINY_CNN, TINY_MLP

pytestmark = pytest.mark.django_db

NEW_STUDY = {
    "title": "Pilot",
    "description": "A first try.",
    "tasks": ["Train any model."],
    "conditions": [{"name": "a"}, {"name": "b", "allowed_models": ["cnn"], "drawing": False}],
}


def event(kind: str = "page_view", **data: Any) -> dict[str, Any]:
    return {"type": kind, "client_time": "2026-11-25T10:00:00Z", "page": "/builder/", "data": data}


STAFF_ONLY = [
    ("get", "/api/v1/studies/"),
    ("post", "/api/v1/studies/"),
    ("get", "/api/v1/studies/{pk}/"),
    ("patch", "/api/v1/studies/{pk}/"),
    ("get", "/api/v1/studies/{pk}/participants/"),
    ("post", "/api/v1/studies/{pk}/participants/"),
    ("get", "/api/v1/studies/{pk}/export/csv/"),
    ("get", "/api/v1/studies/{pk}/export/json/"),
]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        *STAFF_ONLY,
        ("post", "/api/v1/studies/join/"),
        ("get", "/api/v1/studies/mine/"),
        ("post", "/api/v1/events/"),
    ],
)
def test_anonymous_requests_are_refused(client: Any, study: Study, method: str, url: str) -> None:
    response = getattr(client, method)(url.format(pk=study.pk))
    assert response.status_code in (401, 403)


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_participants_cannot_use_the_staff_endpoints(
    alice_api: APIClient, study: Study, method: str, url: str
) -> None:
    response = getattr(alice_api, method)(url.format(pk=study.pk), {}, format="json")
    assert response.status_code == 403
    study.refresh_from_db()
    assert study.title == "Does highlighting help?"


def test_staff_create_a_study_with_its_conditions(staff_api: APIClient, staff: Any) -> None:
    response = staff_api.post("/api/v1/studies/", NEW_STUDY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    stored = Study.objects.get(pk=body["id"])
    assert stored.created_by == staff and stored.tasks == ["Train any model."]
    assert body["invite_code"] == stored.invite_code and len(stored.invite_code) == 10
    conditions = {c.name: c for c in stored.conditions.all()}
    assert conditions["a"].allowed_models == [] and conditions["a"].drawing is True
    assert conditions["b"].allowed_models == ["cnn"] and conditions["b"].drawing is False
    listed = staff_api.get("/api/v1/studies/").json()
    assert [s["id"] for s in listed["results"]] == [stored.pk]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"conditions": []}, "conditions"),
        ({"conditions": [{"name": "a"}, {"name": "a"}]}, "conditions"),
        ({"conditions": [{"name": "a", "allowed_models": ["resnet"]}]}, "conditions"),
        ({"tasks": "do things"}, "tasks"),
    ],
)
def test_a_bad_study_is_a_400_naming_the_field(
    staff_api: APIClient, changes: dict[str, Any], field: str
) -> None:
    response = staff_api.post("/api/v1/studies/", {**NEW_STUDY, **changes}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Study.objects.exists()


def test_staff_close_a_study(staff_api: APIClient, study: Study, alice: Any) -> None:
    response = staff_api.patch(f"/api/v1/studies/{study.pk}/", {"is_open": False}, format="json")
    assert response.status_code == 200 and response.json()["is_open"] is False
    study.refresh_from_db()
    assert study.is_open is False
    join = APIClient()
    join.force_login(alice)
    refused = join.post("/api/v1/studies/join/", {"invite_code": study.invite_code})
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]


def test_the_study_list_is_paged_like_every_list(staff_api: APIClient, staff: Any) -> None:
    for number in range(3):
        services.study_create(created_by=staff, title=f"S{number}", conditions=[{"name": "x"}])
    page = staff_api.get("/api/v1/studies/?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert [s["title"] for s in page["results"]] == ["S2", "S1"]
    last = staff_api.get(page["next"]).json()
    assert [s["title"] for s in last["results"]] == ["S0"]
    assert last["results"][0]["participant_count"] == 0


def test_a_study_is_changed_in_part_only(staff_api: APIClient, study: Study) -> None:
    url = f"/api/v1/studies/{study.pk}/"
    replaced = staff_api.put(url, {"title": "New", "conditions": []}, format="json")
    assert replaced.status_code == 405
    changed = staff_api.patch(url, {"tasks": ["Only this."]}, format="json")
    assert changed.status_code == 200 and changed.json()["tasks"] == ["Only this."]
    assert len(changed.json()["conditions"]) == 2
    study.refresh_from_db()
    assert study.tasks == ["Only this."] and study.title == "Does highlighting help?"
    assert staff_api.patch(url, {"title": ""}, format="json").json() == {
        "title": ["This field may not be blank."]
    }


def test_study_update_changes_no_condition(study: Study) -> None:
    with pytest.raises(ValidationError) as error:
        services.study_update(study=study, changes={"conditions": []})
    assert list(error.value.message_dict) == ["conditions"]
    assert study.conditions.count() == 2


def test_enrolling_into_an_unknown_study_is_a_404_whatever_the_body(
    staff_api: APIClient,
) -> None:
    assert staff_api.post("/api/v1/studies/999/participants/", {}, format="json").status_code == 404


def test_joining_with_the_code_assigns_the_least_filled_condition(
    study: Study, django_user_model: Any
) -> None:
    assigned = []
    for number in range(6):
        user = django_user_model.objects.create_user(f"p{number}")
        client = APIClient()
        client.force_login(user)
        response = client.post(
            "/api/v1/studies/join/", {"invite_code": study.invite_code.lower()}, format="json"
        )
        assert response.status_code == 201, response.content
        assigned.append(response.json()["condition"]["name"])
        assert response.json()["tasks"] == study.tasks
    assert Counter(assigned) == {"mlp-only": 3, "everything": 3}
    # Equally filled conditions are taken in one order drawn from the study's seed.
    assert assigned[0] != assigned[1] and assigned[0::2] == [assigned[0]] * 3


def test_concurrent_joins_stay_balanced(
    study: Study, django_user_model: Any, transactional_db: None
) -> None:
    users = [django_user_model.objects.create_user(f"c{n}") for n in range(4)]
    barrier = threading.Barrier(len(users))

    def join(user: Any) -> None:
        try:
            barrier.wait(timeout=10)
            services.participant_join(user=user, invite_code=study.invite_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    counts = Counter(Participant.objects.values_list("condition__name", flat=True))
    assert counts == {"mlp-only": 2, "everything": 2}


def test_join_refusals_say_why(alice_api: APIClient, study: Study, staff: Any) -> None:
    wrong = alice_api.post("/api/v1/studies/join/", {"invite_code": "NOPE"}, format="json")
    assert wrong.status_code == 400 and list(wrong.json()) == ["invite_code"]
    missing = alice_api.post("/api/v1/studies/join/", {}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["invite_code"]
    code = {"invite_code": study.invite_code}
    assert alice_api.post("/api/v1/studies/join/", code, format="json").status_code == 201
    again = alice_api.post("/api/v1/studies/join/", code, format="json")
    assert again.status_code == 409 and "already" in again.json()["detail"]
    other = services.study_create(created_by=staff, title="Other", conditions=[{"name": "x"}])
    second = alice_api.post(
        "/api/v1/studies/join/", {"invite_code": other.invite_code}, format="json"
    )
    assert second.status_code == 409 and "Does highlighting help?" in second.json()["detail"]
    assert Participant.objects.count() == 1


def test_staff_enrol_a_user_by_username(
    staff_api: APIClient, study: Study, alice: Any, staff: Any
) -> None:
    url = f"/api/v1/studies/{study.pk}/participants/"
    unknown = staff_api.post(url, {"username": "nobody"}, format="json")
    assert unknown.status_code == 400 and list(unknown.json()) == ["username"]
    response = staff_api.post(url, {"username": "alice"}, format="json")
    assert response.status_code == 201
    participant = Participant.objects.get(user=alice)
    assert participant.enrolled_by == staff
    assert response.json()["pseudonym"] == services.pseudonym(alice.pk)
    assert "alice" not in str(staff_api.get(url).json())
    assert staff_api.get("/api/v1/studies/999/participants/").status_code == 404


def test_a_participant_sees_their_study_and_condition(alice_api: APIClient, study: Study) -> None:
    assert alice_api.get("/api/v1/studies/mine/").status_code == 404
    alice_api.post("/api/v1/studies/join/", {"invite_code": study.invite_code}, format="json")
    body = alice_api.get("/api/v1/studies/mine/").json()
    assert body["study_title"] == study.title
    assert body["condition"]["name"] in {"mlp-only", "everything"}


# --- conditions on runs ---------------------------------------------------------------


def enrol(user: Any, study: Study, condition: str) -> Participant:
    participant = services.participant_join(user=user, invite_code=study.invite_code)
    participant.condition = study.conditions.get(name=condition)
    participant.save()
    return participant


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"model": "cnn"}, "model"), ({"highlight": "rrr"}, "highlight")],
)
def test_runs_outside_the_condition_are_refused_naming_the_field(
    alice_api: APIClient, alice: Any, study: Study, changes: dict[str, Any], field: str
) -> None:
    enrol(alice, study, "mlp-only")
    response = alice_api.post("/api/v1/experiments/", {**TINY_MLP, **changes}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field] and "condition" in response.json()[field][0]
    assert not Experiment.objects.exists()


def test_drawn_classes_are_refused_where_drawing_is_off(
    alice_api: APIClient, alice: Any, staff: Any
) -> None:
    study = services.study_create(
        created_by=staff, title="No drawing", conditions=[{"name": "plain", "drawing": False}]
    )
    services.participant_join(user=alice, invite_code=study.invite_code)
    ShapeClass.objects.create(owner=alice, key="mine", name="Mine", pixels=[[0.0] * 28] * 28)
    response = alice_api.post(
        "/api/v1/experiments/", {**TINY_MLP, "classes": ["box", "mine"]}, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["classes"]


def test_runs_in_a_study_are_tagged_with_study_and_condition(
    alice_api: APIClient, alice: Any, bob: Any, study: Study
) -> None:
    participant = enrol(alice, study, "mlp-only")
    response = alice_api.post("/api/v1/experiments/", TINY_MLP, format="json")
    assert response.status_code == 201
    link = StudyExperiment.objects.get(experiment_id=response.json()["id"])
    assert (link.study, link.condition, link.participant) == (
        study,
        participant.condition,
        participant,
    )
    # Re-runs are tagged too; a user outside the study is not.
    experiment = Experiment.objects.get(pk=response.json()["id"])
    rerun = alice_api.post(f"/api/v1/experiments/{experiment.pk}/rerun/", {}, format="json")
    assert StudyExperiment.objects.filter(experiment_id=rerun.json()["id"]).exists()
    outside = experiment_services.experiment_create(user=bob, config=TINY_MLP)
    assert not StudyExperiment.objects.filter(experiment=outside).exists()
    # Once the study closes, new runs are no longer tagged.
    Study.objects.filter(pk=study.pk).update(is_open=False)
    Experiment.objects.filter(owner=alice).update(status="done")
    later = alice_api.post("/api/v1/experiments/", TINY_CNN, format="json")
    assert later.status_code == 201
    assert not StudyExperiment.objects.filter(experiment_id=later.json()["id"]).exists()


# --- the interaction log --------------------------------------------------------------


def test_participants_append_events_with_both_clocks(
    alice_api: APIClient, alice: Any, study: Study
) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    before = datetime.now(UTC)
    batch = {"events": [event(), event("drawing_saved", strokes=7), event("run_started")]}
    response = alice_api.post("/api/v1/events/", batch, format="json")
    assert response.status_code == 201 and response.json() == {"stored": 3}
    stored = list(Event.objects.order_by("id"))
    assert [e.type for e in stored] == ["page_view", "drawing_saved", "run_started"]
    assert stored[1].data == {"strokes": 7} and stored[1].page == "/builder/"
    assert stored[0].client_time == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert all(e.server_time >= before for e in stored)
    assert all(e.participant.user == alice for e in stored)


def test_events_cannot_be_changed_or_deleted(
    alice_api: APIClient, alice: Any, study: Study
) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    alice_api.post("/api/v1/events/", {"events": [event()]}, format="json")
    for method in ("get", "put", "patch", "delete"):
        assert getattr(alice_api, method)("/api/v1/events/").status_code == 405
    assert Event.objects.count() == 1


def test_only_participants_log_events(alice_api: APIClient) -> None:
    response = alice_api.post("/api/v1/events/", {"events": [event()]}, format="json")
    assert response.status_code == 403 and "participants" in response.json()["detail"]
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "events",
    [
        [],
        [event("teleported")],
        [{**event(), "client_time": "yesterday"}],
        [{**event(), "data": ["not", "an", "object"]}],
        [event(blob="x" * 5000)],
        [event()] * 201,
    ],
)
def test_bad_event_batches_are_refused_naming_the_field(
    alice_api: APIClient, alice: Any, study: Study, events: list[Any]
) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    response = alice_api.post("/api/v1/events/", {"events": events}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["events"]
    assert not Event.objects.exists()


# --- CSRF -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/studies/join/", {"invite_code": "x"}),
        ("/api/v1/events/", {"events": []}),
        ("/api/v1/studies/", NEW_STUDY),
    ],
)
def test_session_writes_need_the_csrf_token(staff: Any, url: str, body: dict[str, Any]) -> None:
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(staff)
    response = session.post(url, body, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Study.objects.exists()


# --- the pages ------------------------------------------------------------------------


def test_participants_pages_load_the_event_log_and_know_the_condition(
    alice_client: Any, bob_client: Any, alice: Any, study: Study
) -> None:
    enrol(alice, study, "mlp-only")
    page = alice_client.get("/builder/")
    assert b"js/events.js" in page.content
    assert page.context["study_condition"]["allowed_models"] == ["mlp"]
    assert page.context["study_condition"]["highlighting"] is False
    # The study's tasks are shown on every page while they take part.
    assert b"Train a model on box and line." in page.content
    assert b"Compare two runs." in alice_client.get("/").content
    other = bob_client.get("/builder/")
    assert b"js/events.js" not in other.content and other.context["study_condition"] is None
    assert b"Train a model on box and line." not in other.content


def test_the_join_page_enrols_with_the_code(alice_client: Any, alice: Any, study: Study) -> None:
    page = alice_client.get(f"/studies/join/?code={study.invite_code}")
    assert page.status_code == 200 and study.invite_code.encode() in page.content
    wrong = alice_client.post("/studies/join/", {"invite_code": "WRONG"})
    assert wrong.status_code == 200 and b"no study has this invite code" in wrong.content
    response = alice_client.post("/studies/join/", {"invite_code": study.invite_code})
    assert response.status_code == 302 and response["Location"] == "/builder/"
    assert Participant.objects.get(user=alice).study == study
    again = alice_client.post("/studies/join/", {"invite_code": study.invite_code})
    assert b"already take part" in again.content


def test_the_join_page_needs_a_login(client: Any) -> None:
    response = client.get("/studies/join/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_event_batches_are_throttled_per_user(
    alice_api: APIClient, alice: Any, study: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**ScopedRateThrottle.THROTTLE_RATES, "events": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    services.participant_join(user=alice, invite_code=study.invite_code)
    for _ in range(2):
        assert (
            alice_api.post("/api/v1/events/", {"events": [event()]}, format="json").status_code
            == 201
        )
    third = alice_api.post("/api/v1/events/", {"events": [event()]}, format="json")
    assert third.status_code == 429 and "throttled" in third.json()["detail"].lower()
    assert Event.objects.count() == 2
