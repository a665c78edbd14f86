"""Datasets on the web side: the listing, the class images, the copy a run keeps of a
dataset's class (template, default mask, a highlight replacing it), and refusals of bad or
mixed class keys."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image
from rest_framework.test import APIClient

from experiments import services
from experiments.models import Experiment
from models_zoo import datasets, render, shapes
from tests.factories import TINY_MLP, finished_run, queued_run

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"
DIGITS_RUN: dict[str, Any] = {**TINY_MLP, "classes": ["digits:3", "digits:7"]}
DECOY_RUN: dict[str, Any] = {**TINY_MLP, "classes": ["decoy:1", "decoy:2"]}


def corners() -> np.ndarray:
    mask = np.zeros((28, 28), dtype=int)
    for rows in (slice(0, 4), slice(24, 28)):
        for cols in (slice(0, 4), slice(24, 28)):
            mask[rows, cols] = 1
    return mask


def png_pixels(content: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(content))
    assert image.size == (28, 28)
    return np.asarray(image.convert("L"))


def test_it_lists_every_dataset_with_its_classes(alice_api: APIClient) -> None:
    response = alice_api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [entry["key"] for entry in body] == ["shapes", "digits", "decoy"]
    by_key = {entry["key"]: entry for entry in body}

    shapes_entry = by_key["shapes"]
    assert shapes_entry["has_test"] is False and shapes_entry["defaults"] == {}
    assert [c["key"] for c in shapes_entry["classes"]] == list(shapes.CATALOGUE)
    box = next(c for c in shapes_entry["classes"] if c["key"] == "box")
    assert box["image_url"] == "/api/v1/catalogue/box/image.png" == box["template_url"]
    assert box["is_noise"] is False and box["irrelevant"] is None

    digits = by_key["digits"]
    assert digits["has_test"] is True
    assert digits["defaults"] == dict(datasets.DATASETS["digits"].defaults)
    assert digits["defaults"]["batch_size"] > TINY_MLP.get("batch_size", 4)
    assert digits["template_note"] == datasets.DATASETS["digits"].template_note
    assert [(c["key"], c["name"]) for c in digits["classes"]] == [
        (f"digits:{d}", str(d)) for d in range(10)
    ]
    three = digits["classes"][3]
    assert three["image_url"] == "/api/v1/datasets/classes/digits:3/image.png"
    assert three["template_url"] == "/api/v1/datasets/classes/digits:3/template.png"
    assert three["irrelevant"] is None

    decoy = by_key["decoy"]
    assert decoy["classes"][0]["name"] == "0 (decoy)"
    # The decoy's own mask of what must not matter: the four corner patches.
    assert all(np.array_equal(c["irrelevant"], corners()) for c in decoy["classes"])


def test_the_listing_is_for_signed_in_users(client: Any) -> None:
    assert APIClient().get(URL).status_code in (401, 403)


def test_class_images_are_public_cacheable_pngs_of_the_class() -> None:
    anonymous = APIClient()
    response = anonymous.get("/api/v1/datasets/classes/digits:3/template.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age" in response["Cache-Control"]
    expected = png_pixels(render.to_png(datasets.template("digits:3")))
    assert np.array_equal(png_pixels(response.content), expected)

    response = anonymous.get("/api/v1/datasets/classes/decoy:7/image.png")
    assert response.status_code == 200
    assert np.array_equal(
        png_pixels(response.content), png_pixels(render.to_png(datasets.example("decoy:7")))
    )
    # The thumbnail is one real training image, not the mean.
    assert not np.array_equal(
        png_pixels(response.content), png_pixels(render.to_png(datasets.template("decoy:7")))
    )


@pytest.mark.parametrize("key", ["digits:10", "digits:", "mnist:3", "box", "shapes:box"])
def test_an_unknown_dataset_class_has_no_image(key: str) -> None:
    assert APIClient().get(f"/api/v1/datasets/classes/{key}/image.png").status_code == 404


def test_a_run_keeps_a_copy_of_each_dataset_class(alice: Any) -> None:
    experiment = queued_run(alice, DIGITS_RUN)
    assert experiment.class_keys == ["digits:3", "digits:7"]
    three, seven = experiment.trained_on
    assert three["key"] == "digits:3" and three["name"] == "3"
    assert three["dataset"] == "digits" and three["noise"] is None
    assert np.allclose(three["pixels"], datasets.template("digits:3"), atol=1e-4)
    assert not np.allclose(seven["pixels"], three["pixels"], atol=0.05)
    # No default mask and no highlight: nothing to leave out.
    assert three.get("irrelevant") is None and three.get("relevant") is None
    # The run's settings are the dataset's defaults where the request gave none.
    for name, value in datasets.DATASETS["digits"].defaults.items():
        if name not in DIGITS_RUN:
            assert experiment.config[name] == value

    specs = services.class_specs(experiment=experiment)
    assert [spec.dataset for spec in specs] == ["digits", "digits"]
    assert np.allclose(specs[0].image, datasets.template("digits:3"), atol=1e-4)


def test_a_decoy_class_keeps_the_corner_mask_unless_highlighted(
    alice: Any, alice_api: APIClient
) -> None:
    experiment = queued_run(alice, DECOY_RUN)
    assert [item["irrelevant"] for item in experiment.trained_on] == [corners().tolist()] * 2
    # The default mask is a highlight to use: highlighting is allowed with none painted.
    highlighted = queued_run(alice, DECOY_RUN, highlight="rrr")
    assert highlighted.config["highlight"] == "rrr"

    painted = np.zeros((28, 28), dtype=int)
    painted[0:6, 0:6] = 1
    response = alice_api.post(
        "/api/v1/highlights/",
        {"class": "decoy:2", "relevant": np.zeros((28, 28), int).tolist(), "irrelevant": painted},
        format="json",
    )
    assert response.status_code == 201, response.json()
    experiment = queued_run(alice, DECOY_RUN)
    one, two = experiment.trained_on
    assert one["irrelevant"] == corners().tolist()
    assert two["irrelevant"] == painted.tolist()
    specs = services.class_specs(experiment=experiment)
    assert np.array_equal(specs[1].irrelevant, painted)


def test_a_digit_class_can_be_highlighted(alice: Any, alice_api: APIClient) -> None:
    red = np.zeros((28, 28), dtype=int)
    red[10:14, 0:3] = 1
    response = alice_api.post(
        "/api/v1/highlights/",
        {"class": "digits:7", "relevant": np.zeros((28, 28), int).tolist(), "irrelevant": red},
        format="json",
    )
    assert response.status_code == 201, response.json()
    experiment = queued_run(alice, DIGITS_RUN)
    assert experiment.trained_on[0].get("irrelevant") is None
    assert experiment.trained_on[1]["irrelevant"] == red.tolist()


@pytest.mark.parametrize("key", ["digits:10", "decoy:x", "mnist:3"])
def test_an_unknown_class_key_cannot_be_highlighted(alice_api: APIClient, key: str) -> None:
    red = np.zeros((28, 28), dtype=int)
    red[0:3, 0:3] = 1
    response = alice_api.post(
        "/api/v1/highlights/",
        {"class": key, "relevant": np.zeros((28, 28), int).tolist(), "irrelevant": red},
        format="json",
    )
    assert response.status_code == 400
    assert key in response.json()["class"][0]


@pytest.mark.parametrize(
    "classes",
    [["digits:3", "box"], ["digits:3", "decoy:3"], ["line", "decoy:1", "decoy:2"]],
)
def test_classes_of_two_datasets_are_refused_naming_the_field(
    alice_api: APIClient, classes: list[str]
) -> None:
    response = alice_api.post(
        "/api/v1/experiments/", {**TINY_MLP, "classes": classes}, format="json"
    )
    assert response.status_code == 400
    assert "one dataset" in " ".join(response.json()["classes"])
    assert not Experiment.objects.exists()


@pytest.mark.parametrize("key", ["digits:10", "digits:", "digits:03", "mnist:3"])
def test_an_unknown_dataset_class_is_refused_naming_classes(alice_api: APIClient, key: str) -> None:
    response = alice_api.post(
        "/api/v1/experiments/", {**TINY_MLP, "classes": ["digits:1", key]}, format="json"
    )
    assert response.status_code == 400
    assert "classes" in response.json()
    assert not Experiment.objects.exists()


def test_a_digits_run_needs_no_copies_check(alice: Any, settings: Any) -> None:
    # Training images of a dataset run are the dataset's own: the copies limit is not theirs.
    settings.MAX_TRAINING_IMAGES = 2
    experiment = queued_run(alice, DIGITS_RUN)
    assert experiment.status == Experiment.Status.QUEUED


def test_runs_filter_by_dataset(alice: Any, bob: Any, alice_api: APIClient) -> None:
    digits = queued_run(alice, DIGITS_RUN)
    decoy = queued_run(alice, DECOY_RUN)
    box = queued_run(alice, TINY_MLP)
    queued_run(bob, DIGITS_RUN)

    def ids(url: str, dataset: str) -> set[int]:
        response = alice_api.get(url, {"dataset": dataset})
        assert response.status_code == 200, response.json()
        body = response.json()
        rows = body["results"] if "results" in body else body["rows"]
        return {row["id"] for row in rows}

    for url in ("/api/v1/experiments/", "/api/v1/history/table/"):
        assert ids(url, "digits") == {digits.pk}
        assert ids(url, "decoy") == {decoy.pk}
        assert ids(url, "shapes") == {box.pk}
        assert ids(url, "") == {digits.pk, decoy.pk, box.pk}
    response = alice_api.get("/api/v1/experiments/", {"dataset": "mnist"})
    assert response.status_code == 400 and "dataset" in response.json()


def test_exports_hold_the_test_accuracy(alice: Any, alice_api: APIClient) -> None:
    digits = finished_run(alice, classes=["digits:4", "digits:9"], seed=5)
    shapes_run = finished_run(alice, classes=["box", "line"], seed=5)
    assert digits.test_accuracy is not None
    response = alice_api.get("/api/v1/experiments/export/csv/")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_run = {int(row["experiment_id"]): row["test_accuracy"] for row in rows}
    assert float(by_run[digits.pk]) == pytest.approx(digits.test_accuracy)
    assert by_run[shapes_run.pk] == ""
    body = alice_api.get("/api/v1/experiments/export/json/").json()
    values = {row["id"]: row["test_accuracy"] for row in body}
    assert values == {digits.pk: digits.test_accuracy, shapes_run.pk: None}
