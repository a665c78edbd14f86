"""A whole small study through the API with tokens, as the README describes it: staff create
it, two participants join (one by code, one enrolled by staff), each runs a real tiny
experiment, saves a drawing and logs events, staff export; the export holds exactly their data."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from experiments import tasks
from studies.services import pseudonym
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db

BAR = [[1.0 if 10 <= column <= 17 else 0.0 for column in range(28)] for _ in range(28)]


def token_client(user: Any) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_study_from_creation_to_export(django_user_model: Any, staff: Any) -> None:
    alice = django_user_model.objects.create_user("alice")
    bob = django_user_model.objects.create_user("bob")
    carol = django_user_model.objects.create_user("carol")  # runs things, but not in the study
    staff_api, alice_api, bob_api, carol_api = map(token_client, (staff, alice, bob, carol))

    created = staff_api.post(
        "/api/v1/studies/",
        {
            "title": "Round trip",
            "tasks": ["Train on box and line."],
            "conditions": [{"name": "mlp", "allowed_models": ["mlp"]}, {"name": "any"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    study = created.json()

    joined = alice_api.post(
        "/api/v1/studies/join/", {"invite_code": study["invite_code"]}, format="json"
    )
    assert joined.status_code == 201
    enrolled = staff_api.post(
        f"/api/v1/studies/{study['id']}/participants/", {"username": "bob"}, format="json"
    )
    assert enrolled.status_code == 201
    # Balanced: the two participants are in different conditions.
    conditions = {joined.json()["condition"]["name"], enrolled.json()["condition"]}
    assert conditions == {"mlp", "any"}

    experiment_ids = {}
    for name, client in (("alice", alice_api), ("bob", bob_api), ("carol", carol_api)):
        response = client.post("/api/v1/experiments/", TINY_MLP, format="json")
        assert response.status_code == 201, response.content
        assert tasks.train_and_visualize(response.json()["id"]) == "done"
        experiment_ids[name] = response.json()["id"]

    # The page logs what only it knows; the server logs the runs above and the drawings.
    page_view = {"type": "page_view", "client_time": "2026-11-25T10:00:00Z", "page": "/builder/"}
    for client, strokes in ((alice_api, 4), (bob_api, 9), (carol_api, 2)):
        drawing = {"name": "Bar", "pixels": BAR, "strokes": strokes}
        assert client.post("/api/v1/classes/", drawing, format="json").status_code == 201
    for client in (alice_api, bob_api):
        batch = {"events": [page_view]}
        assert client.post("/api/v1/events/", batch, format="json").status_code == 201
    assert carol_api.post("/api/v1/events/", batch, format="json").status_code == 403

    document = staff_api.get(f"/api/v1/studies/{study['id']}/export/json/")
    assert document.status_code == 200
    data = document.json()
    people = {pseudonym(alice.pk), pseudonym(bob.pk)}
    assert {row["participant"] for row in data["participants"]} == people
    assert {row["condition"] for row in data["conditions"]} == {"mlp", "any"}
    assert [row["participants"] for row in data["conditions"]] == [1, 1]
    assert sorted(row["type"] for row in data["events"]) == [
        *["drawing_saved"] * 2,
        *["page_view"] * 2,
        *["run_started"] * 2,
    ]
    assert {row["participant"] for row in data["events"]} == people
    saved = [row for row in data["events"] if row["type"] == "drawing_saved"]
    assert sorted(row["data"]["strokes"] for row in saved) == [4, 9]
    started = {row["page"] for row in data["events"] if row["type"] == "run_started"}
    assert started == {f"/api/v1/experiments/{experiment_ids[n]}/" for n in ("alice", "bob")}
    assert {row["experiment"] for row in data["experiments"]} == {
        experiment_ids["alice"],
        experiment_ids["bob"],
    }
    assert all(row["status"] == "done" for row in data["experiments"])
    assert len(data["results"]) == 2 * len(TINY_MLP["classes"])
    # No account name appears anywhere: participants are known by their pseudonyms only.
    text = json.dumps(data)
    for username in ("alice", "bob", "carol"):
        assert username not in text

    archive = staff_api.get(f"/api/v1/studies/{study['id']}/export/csv/")
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        assert sorted(files.namelist()) == sorted(
            ["study.json", *(f"{t}.csv" for t in data if t != "study")]
        )
        for table in ("participants", "conditions", "events", "experiments", "results"):
            rows = list(csv.DictReader(io.StringIO(files.read(f"{table}.csv").decode())))
            assert len(rows) == len(data[table]), table
    one = staff_api.get(f"/api/v1/studies/{study['id']}/export/csv/?table=results")
    rows = list(csv.DictReader(io.StringIO(one.content.decode())))
    assert {int(row["experiment"]) for row in rows} == {
        experiment_ids["alice"],
        experiment_ids["bob"],
    }
    bad = staff_api.get(f"/api/v1/studies/{study['id']}/export/csv/?table=users")
    assert bad.status_code == 400 and list(bad.json()) == ["table"]
    # Participants cannot export.
    assert alice_api.get(f"/api/v1/studies/{study['id']}/export/json/").status_code == 403
