"""The JSON API: it works, it validates, it checks ownership and authentication."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from experiments import services, tasks
from experiments.models import Experiment
from tests.conftest import PASSWORD
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db

LIST = "/api/v1/experiments/"
# The tests below read these values; a form post sends every one of them as text.
API_RUN = {
    **TINY_MLP,
    "classes": ["box", "line", "circle"],
    "initial_image": "black",
    "step_size": 0.005,
    "epochs": 3,
    "seed": 11,
    "max_steps": 10,
}


def detail_url(pk: int) -> str:
    return f"/api/v1/experiments/{pk}/"


def make(user: Any, **changes: Any) -> Experiment:
    return services.experiment_create(user=user, config={**API_RUN, **changes})


def finished(user: Any) -> Experiment:
    experiment = make(user)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    experiment.refresh_from_db()
    return experiment


# --- authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [LIST, "/api/v1/catalogue/", "/api/v1/architectures/", "/api/v1/experiments/1/"],
)
def test_everything_needs_a_login(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (401, 403)


def test_a_token_is_issued_for_a_username_and_password(alice: Any) -> None:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=alice).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(LIST).status_code == 200


def test_a_wrong_password_gets_no_token(alice: Any) -> None:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_requests_need_no_csrf_token_but_session_writes_do(alice: Any) -> None:
    token = Token.objects.create(user=alice)
    with_token = APIClient(enforce_csrf_checks=True)
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert with_token.post(LIST, API_RUN, format="json").status_code == 201

    session = APIClient(enforce_csrf_checks=True)
    session.force_login(alice)
    response = session.post(LIST, API_RUN, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Experiment.objects.count() == 1


def test_a_session_write_with_the_csrf_token_works(alice: Any) -> None:
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(alice)
    page = session.get(reverse("builder"))  # the page sets the csrftoken cookie
    assert page.status_code == 200
    token = session.cookies["csrftoken"].value
    response = session.post(LIST, API_RUN, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content


# --- the root ---------------------------------------------------------------------------


def test_the_api_root_links_to_every_list_and_the_docs(client: Any, alice_api: APIClient) -> None:
    response = client.get("/api/v1/")  # public: it holds no user data
    assert response.status_code == 200
    links = response.json()
    assert links["experiments"] == "http://testserver/api/v1/experiments/"
    assert links["docs"] == "http://testserver/api/v1/docs/"
    assert {"catalogue", "classes", "highlights", "comparisons", "studies", "schema"} <= set(links)
    # Every link leads to an endpoint (the studies' list is for staff only).
    for name, url in links.items():
        assert alice_api.get(url).status_code == (403 if name == "studies" else 200), name


# --- catalogue and architectures ------------------------------------------------------


def test_the_catalogue_lists_every_shape_with_a_thumbnail(alice_api: APIClient) -> None:
    entries = alice_api.get("/api/v1/catalogue/").json()
    assert [e["key"] for e in entries][:3] == ["box", "box_hollow", "line"]
    noise = next(e for e in entries if e["key"] == "noise")
    assert noise["is_noise"] is True and noise["index"] == 16
    image = alice_api.get(noise["thumbnail_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content == alice_api.get(noise["thumbnail_url"]).content  # seeded draw


def test_catalogue_images_are_public_and_unknown_keys_are_404(client: Any) -> None:
    response = client.get("/api/v1/catalogue/box/image.png")
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
    assert client.get("/api/v1/catalogue/nothing/image.png").status_code == 404


def test_the_architectures_are_listed_with_descriptions(alice_api: APIClient) -> None:
    entries = alice_api.get("/api/v1/architectures/").json()
    names = [entry["name"] for entry in entries]
    assert names[:2] == ["mlp", "cnn"]
    assert all(entry["label"] and entry["description"] for entry in entries)


# --- experiments ----------------------------------------------------------------------


def test_create_returns_the_queued_experiment(alice_api: APIClient, alice: Any) -> None:
    response = alice_api.post(LIST, API_RUN, format="json")
    assert response.status_code == 201
    body = response.json()
    stored = Experiment.objects.get(pk=body["id"])
    assert stored.owner == alice
    assert body["status"] == "queued" and body["number"] == 1
    assert body["progress"] == {
        "phase": "queued",
        "done": 0,
        "total": 0,
        "fraction": 0.0,
        "metrics": {},
    }
    assert body["config"]["classes"] == API_RUN["classes"]
    assert body["seed"] == 11 and body["error"] == "" and body["results"] == []


def test_create_without_a_seed_chooses_one_and_shows_it(alice_api: APIClient) -> None:
    settings_without_seed = {k: v for k, v in API_RUN.items() if k != "seed"}
    body = alice_api.post(LIST, settings_without_seed, format="json").json()
    assert isinstance(body["seed"], int)
    assert body["config"]["seed"] == body["seed"]
    assert Experiment.objects.get(pk=body["id"]).seed == body["seed"]


def test_create_accepts_the_optional_settings(alice_api: APIClient) -> None:
    changes = {"optimizer": "adam", "objective": "logit", "clip": True, "copies": 4}
    body = alice_api.post(LIST, {**API_RUN, **changes}, format="json").json()
    for key, value in changes.items():
        assert body["config"][key] == value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"classes": ["box"]}, "classes"),
        ({"classes": "box,unknown"}, "classes"),
        ({"model": "resnet"}, "model"),
        ({"epochs": -5}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"step_size": "fast"}, "step_size"),
        ({"seed": -1}, "seed"),
        ({"threshold": 1.5}, "threshold"),
        ({"clip": "sometimes"}, "clip"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(
    alice_api: APIClient, changes: dict[str, Any], field: str
) -> None:
    response = alice_api.post(LIST, {**API_RUN, **changes}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert isinstance(body[field], list) and body[field][0]
    assert not Experiment.objects.exists()


def test_create_rejects_a_body_that_is_not_an_object(alice_api: APIClient) -> None:
    response = alice_api.post(LIST, ["box", "line"], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_create_rejects_malformed_json(alice_api: APIClient) -> None:
    response = alice_api.generic("POST", LIST, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_create_accepts_a_form_post(alice_api: APIClient) -> None:
    form = {**API_RUN, "classes": ["box", "line"]}
    response = alice_api.post(LIST, form, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["config"]["classes"] == ["box", "line"]
    assert response.json()["config"]["epochs"] == 3


def test_too_many_active_experiments_are_refused(alice_api: APIClient, settings: Any) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 1
    assert alice_api.post(LIST, API_RUN, format="json").status_code == 201
    response = alice_api.post(LIST, API_RUN, format="json")
    assert response.status_code == 429
    assert "queued or running" in response.json()["detail"]


def test_creation_is_throttled(
    alice_api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    settings.MAX_ACTIVE_EXPERIMENTS = 10
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "experiment_create": "2/minute"}
    # DRF reads the rates once, at import: set them on the class.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    codes = [alice_api.post(LIST, API_RUN, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert alice_api.get(LIST).status_code == 200  # reading is not throttled
    assert Experiment.objects.count() == 2


def test_the_list_is_the_users_own_newest_first(
    alice_api: APIClient, alice: Any, bob: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 10
    mine = [make(alice).pk for _ in range(3)]
    make(bob)
    body = alice_api.get(LIST).json()
    assert body["count"] == 3
    assert [item["id"] for item in body["results"]] == mine[::-1]
    assert [item["number"] for item in body["results"]] == [3, 2, 1]


def test_the_list_is_paginated_with_a_capped_page_size(
    alice_api: APIClient, alice: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 200
    for _ in range(23):
        make(alice)
    first = alice_api.get(LIST).json()
    assert first["count"] == 23 and len(first["results"]) == 20 and first["next"]
    second = alice_api.get(LIST, {"page": 2}).json()
    assert len(second["results"]) == 3 and second["previous"]
    assert len(alice_api.get(LIST, {"page_size": 5}).json()["results"]) == 5
    assert len(alice_api.get(LIST, {"page_size": 1000}).json()["results"]) == 23
    Experiment.objects.bulk_create(
        Experiment(
            owner=alice,
            number=100 + i,
            config={},
            model_name="mlp",
            seed=0,
            status="done",
        )
        for i in range(90)
    )
    assert len(alice_api.get(LIST, {"page_size": 1000}).json()["results"]) == 100
    assert alice_api.get(LIST, {"page": 99}).status_code == 404


def test_a_finished_experiment_shows_results_and_serves_its_images(
    alice_api: APIClient, alice: Any
) -> None:
    experiment = finished(alice)
    body = alice_api.get(detail_url(experiment.pk)).json()
    assert body["status"] == "done"
    assert body["progress"]["phase"] == "done" and body["progress"]["fraction"] == 1.0
    assert body["accuracy"] == experiment.accuracy and body["loss"] == experiment.loss
    assert len(body["history"]["loss"]) == 3
    assert len(body["cross_r"]) == 3
    assert [r["class"] for r in body["results"]] == ["box", "line", "circle"]
    for result in body["results"]:
        assert set(result) == {
            "class",
            "name",
            "r",
            "steps",
            "reached",
            "probability",
            "image_url",
            "template_url",
            "extras",
            "mean_r",
            "sd_r",
        }
        assert result["extras"] == [] and result["mean_r"] == result["r"]
        for url in (result["image_url"], result["template_url"]):
            image = alice_api.get(url)
            assert image.status_code == 200
            assert image["Content-Type"] == "image/png"
            assert image.content.startswith(b"\x89PNG")
    listed = alice_api.get(LIST).json()["results"][0]
    assert listed["results"] == body["results"]


def test_another_users_experiment_and_images_are_404(
    alice: Any, bob_api: APIClient, alice_api: APIClient
) -> None:
    experiment = finished(alice)
    image_url = alice_api.get(detail_url(experiment.pk)).json()["results"][0]["image_url"]
    assert bob_api.get(detail_url(experiment.pk)).status_code == 404
    assert bob_api.get(image_url).status_code == 404
    assert bob_api.post(f"{detail_url(experiment.pk)}cancel/").status_code == 404
    assert bob_api.get(LIST).json()["count"] == 0
    assert alice_api.get(image_url).status_code == 200


def test_images_need_a_login(alice: Any, alice_api: APIClient, client: Any) -> None:
    experiment = finished(alice)
    image_url = alice_api.get(detail_url(experiment.pk)).json()["results"][0]["image_url"]
    assert client.get(image_url).status_code in (401, 403)


def test_a_missing_experiment_or_result_is_404(alice: Any, alice_api: APIClient) -> None:
    experiment = finished(alice)
    assert alice_api.get(detail_url(experiment.pk + 1000)).status_code == 404
    url = f"/api/v1/experiments/{experiment.pk}/results/7/image.png"
    assert alice_api.get(url).status_code == 404


def test_cancel_a_queued_experiment_then_409(alice_api: APIClient, alice: Any) -> None:
    experiment = make(alice)
    response = alice_api.post(f"{detail_url(experiment.pk)}cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    experiment.refresh_from_db()
    assert experiment.status == "cancelled"
    again = alice_api.post(f"{detail_url(experiment.pk)}cancel/")
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]


def test_cancel_a_finished_experiment_is_409(alice_api: APIClient, alice: Any) -> None:
    experiment = finished(alice)
    response = alice_api.post(f"{detail_url(experiment.pk)}cancel/")
    assert response.status_code == 409
    experiment.refresh_from_db()
    assert experiment.status == "done"


def test_the_schema_describes_the_api(alice_api: APIClient) -> None:
    response = alice_api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/experiments/" in paths
    assert "/api/v1/experiments/{id}/cancel/" in paths


@pytest.mark.parametrize(
    "body",
    [
        '{"classes": ["box", "line"], "step_size": 1e400}',
        '{"classes": ["box", "line"], "step_size": NaN}',
        '{"classes": [{"nested": 1}, "box"]}',
        '{"classes": ["box", "line"], "seed": 10000000000000000000000000000000}',
    ],
)
def test_odd_json_values_are_a_400_not_a_crash(alice_api: APIClient, body: str) -> None:
    response = alice_api.generic("POST", LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert not Experiment.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/experiments/99999999999999999999999/",
        "/api/v1/experiments/1/results/99999999999999999999/image.png",
    ],
)
def test_out_of_range_ids_are_404(alice_api: APIClient, url: str) -> None:
    assert alice_api.get(url).status_code == 404
