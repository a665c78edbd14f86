"""The staff console: studies, participants, events (read-only), exports, experiment
re-runs and django-q's task tables; none of it reachable by non-staff."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from experiments import services as experiment_services
from experiments.models import Experiment
from studies import services
from studies.models import Event, Study
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(alice: Any, study: Study) -> Study:
    services.participant_join(user=alice, invite_code=study.invite_code)
    services.events_record(
        user=alice,
        events=[{"type": "page_view", "client_time": timezone.now()}],
    )
    return study


PAGES = [
    "/admin/studies/study/",
    "/admin/studies/study/{pk}/change/",
    "/admin/studies/participant/",
    "/admin/studies/event/",
    "/admin/studies/studyexperiment/",
    "/admin/django_q/success/",
    "/admin/django_q/failure/",
    "/admin/django_q/schedule/",
]


@pytest.mark.parametrize("url", PAGES)
def test_staff_see_every_table(staff_client: Client, logged: Study, url: str) -> None:
    assert staff_client.get(url.format(pk=logged.pk)).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_non_staff_cannot_reach_the_console(alice_client: Client, logged: Study, url: str) -> None:
    response = alice_client.get(url.format(pk=logged.pk))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_database_queue_is_in_the_console_when_it_is_the_broker(
    staff_client: Client, alice_client: Client, settings: Any
) -> None:
    if "orm" not in settings.Q_CLUSTER:
        pytest.skip("the Redis broker has no queue table to show")
    assert staff_client.get("/admin/django_q/ormq/").status_code == 200
    assert alice_client.get("/admin/django_q/ormq/").status_code == 302


def test_events_are_read_only_in_the_console(staff_client: Client, logged: Study) -> None:
    event = Event.objects.get()
    assert staff_client.get("/admin/studies/event/add/").status_code == 403
    assert staff_client.get(f"/admin/studies/event/{event.pk}/delete/").status_code == 403
    response = staff_client.post(f"/admin/studies/event/{event.pk}/change/", {"type": "custom"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.type == "page_view"


def test_the_console_exports_a_study(staff_client: Client, logged: Study) -> None:
    page = staff_client.get(f"/admin/studies/study/{logged.pk}/change/").content.decode()
    assert f"/admin/studies/study/{logged.pk}/export/zip/" in page
    archive = staff_client.get(f"/admin/studies/study/{logged.pk}/export/zip/")
    assert archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        assert "events.csv" in files.namelist()
        assert files.read("events.csv").decode().count("\n") == 2  # header + one event
    document = staff_client.get(f"/admin/studies/study/{logged.pk}/export/json/")
    assert json.loads(document.content)["study"]["title"] == logged.title
    action = staff_client.post(
        "/admin/studies/study/", {"action": "export_json", "_selected_action": [logged.pk]}
    )
    assert json.loads(action.content)["participants"][0]["condition"]


def test_the_export_link_is_staff_only(alice_client: Client, logged: Study) -> None:
    response = alice_client.get(f"/admin/studies/study/{logged.pk}/export/zip/")
    assert response.status_code == 302


def test_the_console_reruns_experiments_for_their_owners(staff_client: Client, alice: Any) -> None:
    source = experiment_services.experiment_create(user=alice, config=TINY_MLP)
    Experiment.objects.filter(pk=source.pk).update(status="done")
    response = staff_client.post(
        "/admin/experiments/experiment/",
        {"action": "rerun_selected", "_selected_action": [source.pk]},
        follow=True,
    )
    assert b"Queued 1 re-runs" in response.content
    rerun = Experiment.objects.exclude(pk=source.pk).get()
    assert rerun.owner == alice and rerun.source_id == source.pk
    assert rerun.config == source.config


def test_staff_enrol_in_the_console_with_a_balanced_condition(
    staff_client: Client, study: Study, alice: Any, bob: Any
) -> None:
    for user in (alice, bob):
        response = staff_client.post(
            "/admin/studies/participant/add/", {"study": study.pk, "user": user.pk}
        )
        assert response.status_code == 302, response.content
    participants = list(study.participants.all())
    assert {p.user for p in participants} == {alice, bob}
    assert len({p.condition_id for p in participants}) == 2
    assert all(p.enrolled_by.username == "root" for p in participants)
    again = staff_client.post(
        "/admin/studies/participant/add/", {"study": study.pk, "user": alice.pk}
    )
    assert again.status_code == 200 and b"already takes part" in again.content
    assert study.participants.count() == 2
