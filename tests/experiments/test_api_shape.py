"""The model's shape and diversity through the API: accepted, refused by name, stored, served."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from experiments import files
from experiments.models import ClassResult, Experiment
from models_zoo.render import to_png
from tests.factories import TINY_MLP, trained_run

pytestmark = pytest.mark.django_db

LIST = "/api/v1/experiments/"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"mlp_layers": "64,x"}, "mlp_layers", "'x'"),
        ({"mlp_layers": [64, 64, 64, 64, 64]}, "mlp_layers", "1 to 4"),
        ({"mlp_layers": [1000]}, "mlp_layers", "from 1 to 512"),
        ({"mlp_layers": {"a": 1}}, "mlp_layers", "list"),
        ({"cnn_filters": [8, 8, 8, 8]}, "cnn_filters", "1 to 3"),
        ({"cnn_filters": [0]}, "cnn_filters", "from 1 to 64"),
        ({"cnn_dense": 4}, "cnn_dense", "at least 8"),
        ({"cnn_dense": "wide"}, "cnn_dense", "whole number"),
        ({"diversity": 9}, "diversity", "at most 8"),
        ({"diversity_starts": "grey"}, "diversity_starts", "noise, kinds"),
        ({"pool_gradient": "split"}, "pool_gradient", "shared, single"),
    ],
)
def test_bad_shapes_and_diversity_are_a_400_naming_the_field(
    alice_api: Any, changes: dict[str, Any], field: str, fragment: str
) -> None:
    response = alice_api.post(LIST, {**TINY_MLP, **changes}, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()) == [field] or field in response.json()
    assert fragment in str(response.json()[field])
    assert not Experiment.objects.exists()


def test_shapes_are_accepted_as_lists_or_text_and_stored_as_lists(alice_api: Any) -> None:
    body = {**TINY_MLP, "mlp_layers": "32, 16", "cnn_filters": [8], "cnn_dense": 24}
    response = alice_api.post(LIST, body, format="json")
    assert response.status_code == 201, response.json()
    experiment = Experiment.objects.get(pk=response.json()["id"])
    assert experiment.config["mlp_layers"] == [32, 16]
    assert experiment.config["cnn_filters"] == [8]
    assert experiment.config["cnn_dense"] == 24
    assert experiment.config["diversity"] == 1


def test_a_run_with_k_images_per_class_serves_them_with_mean_and_sd(
    alice: Any, alice_api: Any, bob_api: Any
) -> None:
    experiment = trained_run(alice, TINY_MLP, diversity=3, mlp_layers=[16])
    result = ClassResult.objects.filter(experiment=experiment).first()
    assert result is not None
    assert [extra["start"] for extra in result.extras] == ["noise", "noise"]
    stored = np.load(io.BytesIO(bytes(result.extras_raw)), allow_pickle=False)
    assert stored.shape == (2, 28, 28) and stored.dtype == np.float32

    data = alice_api.get(f"{LIST}{experiment.pk}/").json()
    first = data["results"][0]
    assert len(first["extras"]) == 2
    rs = [r for r in [first["r"], *(extra["r"] for extra in first["extras"])] if r is not None]
    assert first["mean_r"] == pytest.approx(np.mean(rs))
    assert first["sd_r"] == pytest.approx(np.std(rs, ddof=1))
    url = first["extras"][1]["image_url"]
    response = alice_api.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (28, 28)
    assert response.content == to_png(stored[1])
    # Another user's, and one past the last, are not there.
    assert bob_api.get(url).status_code == 404
    assert alice_api.get(url.replace("/extras/2.png", "/extras/3.png")).status_code == 404
    assert alice_api.get(url.replace("/extras/2.png", "/extras/0.png")).status_code == 404
    # The images live in the row, and the row's size counts them.
    experiment.refresh_from_db()
    assert experiment.stored_bytes > sum(
        len(bytes(row.extras_raw)) for row in ClassResult.objects.filter(experiment=experiment)
    )


def test_one_image_per_class_has_no_extras(alice: Any, alice_api: Any) -> None:
    experiment = trained_run(alice, TINY_MLP)
    first = alice_api.get(f"{LIST}{experiment.pk}/").json()["results"][0]
    assert first["extras"] == [] and first["sd_r"] is None
    assert first["mean_r"] == first["r"]
    url = f"{LIST}{experiment.pk}/results/0/extras/1.png"
    assert alice_api.get(url).status_code == 404


def test_deleting_a_run_with_extras_leaves_no_file(
    alice: Any, alice_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    experiment = trained_run(alice, TINY_MLP, diversity=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.delete(f"{LIST}{experiment.pk}/").status_code == 204
    assert not ClassResult.objects.exists()
    assert files.orphans() == []
    assert not default_storage.exists(f"results/{experiment.pk}")


def test_new_images_from_a_narrow_models_weights_rebuild_its_shape(
    alice: Any, alice_api: Any
) -> None:
    from experiments import tasks

    done = trained_run(alice, TINY_MLP, mlp_layers=[16, 8])
    response = alice_api.post(f"{LIST}{done.pk}/revisualize/", {"diversity": 2}, format="json")
    assert response.status_code == 201, response.json()
    assert tasks.revisualize_task(response.json()["id"]) == "done"
    again = Experiment.objects.get(pk=response.json()["id"])
    assert again.config["mlp_layers"] == [16, 8] and again.config["diversity"] == 2
    assert all(len(row.extras) == 1 for row in again.results.all())
    # The first image of each class is the source's: the same weights, the same start.
    for before, after in zip(done.results.all(), again.results.all(), strict=True):
        assert after.r == pytest.approx(before.r, abs=1e-4)


def test_a_revisualization_cannot_change_the_shape(alice: Any, alice_api: Any) -> None:
    done = trained_run(alice, TINY_MLP)
    response = alice_api.post(f"{LIST}{done.pk}/revisualize/", {"mlp_layers": [16]}, format="json")
    assert response.status_code == 400
    assert "mlp_layers" in response.json()
