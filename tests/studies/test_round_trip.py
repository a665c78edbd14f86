"""A whole small study through the API with tokens, as the README describes it: staff create
it, two participants join (one by code, one enrolled by staff), each runs a real tiny
experiment and logs events, staff export; the export holds exactly their data."""

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

pytestmark = pytest.mark.django_db

TINY = {"classes": ["box", "line"], "model": "mlp", "epochs": 2, "seed": 5, "max_steps": 8}


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
        response = client.post("/api/v1/experiments/", TINY, format="json")
        assert response.status_code == 201, response.content
        assert tasks.train_and_visualize(response.json()["id"]) == "done"
        experiment_ids[name] = response.json()["id"]

    for client, strokes in ((alice_api, 4), (bob_api, 9)):
        batch = {
            "events": [
                {"type": "page_view", "client_time": "2026-11-25T10:00:00Z", "page": "/builder/"},
                {
                    "type": "drawing_saved",
                    "client_time": "2026-11-25T10:01:00Z",
                    "data": {"strokes": strokes},
                },
            ]
        }
        assert client.post("/api/v1/events/", batch, format="json").status_code == 201
    assert carol_api.post("/api/v1/events/", batch, format="json").status_code == 403

    document = staff_api.get(f"/api/v1/studies/{study['id']}/export/json/")
    assert document.status_code == 200
    data = document.json()
    people = {pseudonym(alice.pk), pseudonym(bob.pk)}
    assert {row["participant"] for row in data["participants"]} == people
    assert {row["condition"] for row in data["conditions"]} == {"mlp", "any"}
    assert [row["participants"] for row in data["conditions"]] == [1, 1]
    assert len(data["events"]) == 4
    assert {row["participant"] for row in data["events"]} == people
    assert sorted(row["data"].get("strokes") for row in data["events"] if row["data"]) == [4, 9]
    assert {row["experiment"] for row in data["experiments"]} == {
        experiment_ids["alice"],
        experiment_ids["bob"],
    }
    assert all(row["status"] == "done" for row in data["experiments"])
    assert len(data["results"]) == 2 * len(TINY["classes"])
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
