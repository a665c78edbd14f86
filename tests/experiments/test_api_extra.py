"""API additions: filters, delete, re-run, re-visualize (real tiny weights), raw arrays, exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from experiments import services, tasks
from experiments.models import ClassResult, Experiment
from tests.factories import TINY_MLP_THREE_CLASSES

pytestmark = pytest.mark.django_db

LIST = "/api/v1/experiments/"
# More steps than the re-visualizations below allow, so that their own limit shows.
SOURCE_RUN = {**TINY_MLP_THREE_CLASSES, "max_steps": 10}


def make(user: Any, **changes: Any) -> Experiment:
    return services.experiment_create(user=user, config={**SOURCE_RUN, **changes})


def finished(user: Any, **changes: Any) -> Experiment:
    experiment = make(user, **changes)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    experiment.refresh_from_db()
    return experiment


@pytest.fixture
def done(alice: Any) -> Experiment:
    """One of alice's experiments, really trained (tiny MLP), with stored weights."""
    return finished(alice)


# --- every new endpoint needs a login ------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/experiments/export/csv/"),
        ("get", "/api/v1/experiments/export/json/"),
        ("delete", "/api/v1/experiments/1/"),
        ("post", "/api/v1/experiments/1/rerun/"),
        ("post", "/api/v1/experiments/1/revisualize/"),
        ("get", "/api/v1/experiments/1/results/0/array/"),
        ("get", "/api/v1/experiments/1/results/0/image.npy"),
    ],
)
def test_anonymous_requests_are_refused(client: Any, method: str, url: str) -> None:
    response = getattr(client, method)(url)
    assert response.status_code in (401, 403)


# --- list filters ---------------------------------------------------------------------


def test_the_list_filters_by_status_model_class_tag_kind_and_date(
    alice_api: APIClient, alice: Any, bob: Any
) -> None:
    first = make(alice)
    second = make(alice, model="cnn", classes=["tri", "line"])
    third = make(alice, classes=["box", "circle"])
    make(bob)  # never listed for alice
    Experiment.objects.filter(pk=first.pk).update(status="done", tags=["paper", "mlp"])
    Experiment.objects.filter(pk=second.pk).update(tags=["cnn"])
    old = timezone.now() - timedelta(days=10)
    Experiment.objects.filter(pk=third.pk).update(created_at=old)

    def ids(query: str) -> set[int]:
        response = alice_api.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["results"]}

    assert ids("") == {first.pk, second.pk, third.pk}
    assert ids("status=done") == {first.pk}
    assert ids("status=queued") == {second.pk, third.pk}
    assert ids("model=cnn") == {second.pk}
    assert ids("class=line") == {first.pk, second.pk}
    assert ids("class=circle&model=mlp") == {first.pk, third.pk}
    assert ids("class=lin") == set()  # a whole key, not a substring
    assert ids("tag=paper") == {first.pk}
    assert ids("tag=pap") == set()
    assert ids("kind=revisualize") == set()
    today = timezone.now().date().isoformat()
    assert ids(f"created_after={today}") == {first.pk, second.pk}
    assert ids(f"created_before={(old + timedelta(days=1)).date().isoformat()}") == {third.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=finished", "status"),
        ("created_after=yesterday", "created_after"),
        ("created_after=2026-03-09&created_before=2026-03-01", "created_before"),
        ("from=2026-03-09&to=2026-03-01", "to"),
        ("order=sideways", "order"),
        (f"class={'x' * 65}", "class"),
    ],
)
@pytest.mark.parametrize("url", [LIST, f"{LIST}export/csv/", f"{LIST}export/json/"])
def test_a_bad_filter_is_a_400_naming_it(
    alice_api: APIClient, url: str, query: str, field: str
) -> None:
    response = alice_api.get(f"{url}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_list_orders_on_request_and_an_empty_filter_means_any(
    alice_api: APIClient, alice: Any
) -> None:
    older = make(alice)
    newer = make(alice, model="cnn")
    Experiment.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))

    def ids(url: str, query: str) -> list[int]:
        response = alice_api.get(f"{url}?{query}")
        assert response.status_code == 200, response.content
        body = response.json()
        return [item["id"] for item in (body["results"] if url == LIST else body)]

    for url in (LIST, f"{LIST}export/json/"):
        assert ids(url, "") == [newer.pk, older.pk]
        assert ids(url, "order=oldest") == [older.pk, newer.pk]
        assert ids(url, "order=newest") == [newer.pk, older.pk]
        assert ids(url, "status=&model=&class=&tag=&kind=&order=") == [newer.pk, older.pk]
        # The history's old names of the dates are accepted here too.
        assert ids(url, f"from={timezone.now().date().isoformat()}") == [newer.pk]


# --- delete ---------------------------------------------------------------------------


def test_delete_removes_the_experiment_its_results_and_files(
    alice_api: APIClient, done: Experiment, django_capture_on_commit_callbacks: Any
) -> None:
    names = [done.weights.name] + [r.image.name for r in done.results.all()]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.delete(f"{LIST}{done.pk}/")
    assert response.status_code == 204
    assert not Experiment.objects.filter(pk=done.pk).exists()
    assert not ClassResult.objects.filter(experiment_id=done.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_delete_of_another_users_experiment_is_a_404(bob_api: APIClient, alice: Any) -> None:
    experiment = make(alice)
    assert bob_api.delete(f"{LIST}{experiment.pk}/").status_code == 404
    assert Experiment.objects.filter(pk=experiment.pk).exists()


# --- re-run ---------------------------------------------------------------------------


def test_rerun_queues_the_same_settings_with_a_new_seed(alice_api: APIClient, alice: Any) -> None:
    source = make(alice)
    same = alice_api.post(f"{LIST}{source.pk}/rerun/", {}, format="json")
    assert same.status_code == 201, same.content
    assert same.json()["config"] == source.config
    assert same.json()["source"] == source.pk and same.json()["kind"] == "train"
    other = alice_api.post(f"{LIST}{source.pk}/rerun/", {"seed": 99}, format="json")
    assert other.status_code == 201
    stored = Experiment.objects.get(pk=other.json()["id"])
    assert stored.seed == 99 and stored.config == {**source.config, "seed": 99}
    assert stored.trained_on == source.trained_on and stored.source_id == source.pk


def test_rerun_validates_the_seed_and_checks_ownership(
    alice_api: APIClient, bob_api: APIClient, alice: Any
) -> None:
    source = make(alice)
    response = alice_api.post(f"{LIST}{source.pk}/rerun/", {"seed": -4}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["seed"]
    assert bob_api.post(f"{LIST}{source.pk}/rerun/", {}, format="json").status_code == 404
    assert Experiment.objects.count() == 1


# --- re-visualize ---------------------------------------------------------------------


def test_revisualize_reuses_the_stored_weights_with_new_image_settings(
    alice_api: APIClient, done: Experiment
) -> None:
    changes = {"initial_image": "noise", "max_steps": 6, "clip": True, "step_size": 0.01}
    response = alice_api.post(f"{LIST}{done.pk}/revisualize/", changes, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "revisualize" and body["source"] == done.pk
    assert body["status"] == "queued"
    assert tasks.revisualize_task(body["id"]) == "done"

    again = Experiment.objects.get(pk=body["id"])
    assert again.status == "done", again.error
    assert again.config == {**done.config, **changes}
    # No training happened: the source's training record is carried over as it was.
    assert again.timings["train_s"] == 0.0
    assert again.history == done.history and again.accuracy == done.accuracy
    results = list(again.results.order_by("position"))
    assert [r.class_key for r in results] == done.class_keys
    assert all(r.steps <= 6 for r in results)
    # Same weights, so the same model: its weights file is an identical copy.
    assert again.weights_sha256 == done.weights_sha256
    # A different start gives different images than the source's black start.
    source_image = np.load(io.BytesIO(bytes(done.results.get(position=0).image_raw)))
    new_image = np.load(io.BytesIO(bytes(results[0].image_raw)))
    assert new_image.shape == (28, 28) and not np.allclose(new_image, source_image)
    detail = alice_api.get(f"{LIST}{again.pk}/").json()
    assert detail["results"][0]["image_url"].endswith("/image.png")


def test_revisualize_refuses_a_corrupted_weights_file(
    alice_api: APIClient, done: Experiment
) -> None:
    with default_storage.open(done.weights.name, "r+b") as handle:
        handle.seek(-16, io.SEEK_END)
        handle.write(b"\x00" * 16)
    response = alice_api.post(f"{LIST}{done.pk}/revisualize/", {"max_steps": 5}, format="json")
    assert response.status_code == 409
    assert "SHA-256" in response.json()["detail"]
    assert Experiment.objects.count() == 1


def test_a_weights_file_altered_after_queueing_fails_the_task_clearly(
    alice_api: APIClient, done: Experiment
) -> None:
    response = alice_api.post(f"{LIST}{done.pk}/revisualize/", {"max_steps": 5}, format="json")
    assert response.status_code == 201
    with default_storage.open(done.weights.name, "ab") as handle:
        handle.write(b"tampered")
    assert tasks.revisualize_task(response.json()["id"]) == "failed"
    failed = Experiment.objects.get(pk=response.json()["id"])
    assert failed.status == "failed"
    assert "weights" in failed.error and "SHA-256" in failed.error
    assert not failed.results.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"epochs": 5}, "epochs"),
        ({"model": "cnn"}, "model"),
        ({"step_size": -1}, "step_size"),
        ({"initial_image": "grey"}, "initial_image"),
        ({"max_steps": 10**9}, "max_steps"),
    ],
)
def test_revisualize_rejects_bad_settings_naming_the_field(
    alice_api: APIClient, alice: Any, changes: dict[str, Any], field: str
) -> None:
    source = make(alice)
    Experiment.objects.filter(pk=source.pk).update(status="done")
    response = alice_api.post(f"{LIST}{source.pk}/revisualize/", changes, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert Experiment.objects.count() == 1


def test_revisualize_needs_a_finished_run_of_ones_own(
    alice_api: APIClient, bob_api: APIClient, alice: Any
) -> None:
    queued = make(alice)
    response = alice_api.post(f"{LIST}{queued.pk}/revisualize/", {}, format="json")
    assert response.status_code == 409 and "queued" in response.json()["detail"]
    assert bob_api.post(f"{LIST}{queued.pk}/revisualize/", {}, format="json").status_code == 404
    assert Experiment.objects.count() == 1


# --- raw arrays -----------------------------------------------------------------------


def test_results_come_as_npy_and_as_json_numbers(
    alice_api: APIClient, bob_api: APIClient, done: Experiment
) -> None:
    stored = np.load(io.BytesIO(bytes(done.results.get(position=1).image_raw)))
    npy = alice_api.get(f"{LIST}{done.pk}/results/1/image.npy")
    assert npy.status_code == 200 and npy["Content-Type"] == "application/octet-stream"
    array = np.load(io.BytesIO(npy.content), allow_pickle=False)
    assert array.dtype == np.float32 and array.shape == (28, 28)
    np.testing.assert_array_equal(array, stored)
    body = alice_api.get(f"{LIST}{done.pk}/results/1/array/").json()
    assert body["shape"] == [28, 28] and body["dtype"] == "float32"
    np.testing.assert_array_equal(np.asarray(body["values"], dtype=np.float32), stored)
    assert bob_api.get(f"{LIST}{done.pk}/results/1/array/").status_code == 404
    assert bob_api.get(f"{LIST}{done.pk}/results/1/image.npy").status_code == 404
    assert alice_api.get(f"{LIST}{done.pk}/results/9/array/").status_code == 404


# --- exports --------------------------------------------------------------------------


def test_the_csv_export_has_a_row_per_class_result_of_ones_own(
    alice_api: APIClient, done: Experiment, alice: Any, bob: Any
) -> None:
    queued = make(alice, model="cnn")
    make(bob)
    response = alice_api.get("/api/v1/experiments/export/csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == len(done.class_keys) + 1
    assert {row["experiment_id"] for row in rows} == {str(done.pk), str(queued.pk)}
    for row in rows:
        if row["experiment_id"] == str(done.pk):
            result = done.results.get(position=int(row["position"]))
            assert row["class"] == result.class_key
            assert float(row["probability"]) == pytest.approx(result.probability)
    only_cnn = alice_api.get("/api/v1/experiments/export/csv/?model=cnn")
    assert [r["experiment_id"] for r in csv.DictReader(io.StringIO(only_cnn.content.decode()))] == [
        str(queued.pk)
    ]


def test_the_json_export_lists_ones_own_experiments_in_full(
    alice_api: APIClient, done: Experiment, bob: Any
) -> None:
    make(bob)
    body = alice_api.get("/api/v1/experiments/export/json/").json()
    assert [item["id"] for item in body] == [done.pk]
    assert len(body[0]["results"]) == len(done.class_keys)
    assert body[0]["accuracy"] == done.accuracy


def test_ids_beyond_64_bits_are_a_400_not_a_server_error(alice_api: APIClient, alice: Any) -> None:
    experiment = make(alice)
    body = {"name": "big", "experiment_ids": [experiment.pk, 10000000000000000001]}
    response = alice_api.post("/api/v1/comparisons/", body, format="json")
    assert response.status_code == 400 and list(response.json()) == ["experiment_ids"]
