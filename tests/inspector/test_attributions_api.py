"""The attribution maps' endpoint on real runs: a tiny model trained by the worker's own
task, the map queued (202), computed by the task function run here, then stored (200) and
equal to the ML core's answer on the stored model loaded again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from experiments import services as experiment_services
from experiments.models import Experiment
from inspector import tasks
from inspector.models import AttributionMap
from models_zoo import attribution, persistence, pipeline
from models_zoo.config import RunConfig
from tests.factories import TINY_CNN, TINY_MLP, finished_run, queued_run, trained_run

pytestmark = pytest.mark.django_db


def url(experiment: Experiment, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/v1/experiments/{experiment.pk}/attributions/?{query}"


def stored_model(experiment: Experiment) -> Any:
    return persistence.load_model(
        default_storage.path(experiment.weights.name),
        model=experiment.model_name,
        n_classes=len(experiment.class_keys),
        sha256=experiment.weights_sha256,
        sizes=experiment.config,
    )


def queue_and_compute(
    api: APIClient, experiment: Experiment, capture: Any, **params: str
) -> dict[str, Any]:
    """Asks twice (202, one task queued), runs the queued task here, asks again (200)."""
    with capture(execute=False) as callbacks:
        first = api.get(url(experiment, **params))
        again = api.get(url(experiment, **params))
    assert first.status_code == again.status_code == 202, first.content
    assert first.json()["status"] == "computing"
    assert first.json()["class"] == params["class"] and first.json()["method"] == params["method"]
    assert len(callbacks) == 1
    row = AttributionMap.objects.get(experiment=experiment, method=params["method"])
    assert row.status == AttributionMap.Status.PENDING
    assert tasks.compute_attribution(row.pk) == "done"
    # A second delivery of the task does nothing.
    assert tasks.compute_attribution(row.pk) == "skipped"
    done = api.get(url(experiment, **params))
    assert done.status_code == 200, done.content
    return dict(done.json())


def test_it_computes_once_then_answers_the_ml_cores_map(
    alice_api: APIClient, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    experiment = trained_run(alice, TINY_MLP)
    model = stored_model(experiment)
    config = RunConfig.from_dict(experiment.config)
    specs = experiment_services.class_specs(experiment=experiment)
    template = pipeline.templates(specs, config.seed)[1]

    for method, baseline in (("saliency", None), ("integrated_gradients", "black")):
        body = queue_and_compute(
            alice_api,
            experiment,
            django_capture_on_commit_callbacks,
            **{"class": "line"},
            method=method,
        )
        assert body["image"] == "template" and body["image_class"] == "line"
        assert body["baseline"] == baseline
        # The template's own pixels come with its map, to 4 decimals.
        np.testing.assert_allclose(body["pixels"], template, rtol=0, atol=5e-5)
        got = np.array(body["map"])
        assert got.shape == (28, 28)
        expected = attribution.attribute(model, template[None], [1], method, seed=config.seed)[0]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert np.abs(got).max() > 0
        row = AttributionMap.objects.get(experiment=experiment, method=method)
        assert row.status == AttributionMap.Status.DONE and np.array(row.values).shape == (28, 28)

    # A training image by its index: the run's training data rebuilt from its settings.
    data, _, _ = pipeline.prepare(config, specs)
    body = queue_and_compute(
        alice_api,
        experiment,
        django_capture_on_commit_callbacks,
        **{"class": "box"},
        method="occlusion",
        image="3",
    )
    assert body["image"] == "3"
    assert body["image_class"] == experiment.class_keys[int(data.labels[3])]
    expected = attribution.attribute(model, data.x[3:4, :, :, 0], [0], "occlusion")[0]
    np.testing.assert_allclose(body["map"], expected, rtol=1e-5, atol=1e-6)
    # The training image's pixels, served nowhere else, come with its map.
    pixels = np.array(body["pixels"])
    assert pixels.shape == (28, 28)
    np.testing.assert_allclose(pixels, data.x[3, :, :, 0], rtol=0, atol=5e-5)
    assert not np.allclose(pixels, pipeline.templates(specs, config.seed)[0])
    assert pixels.round(4).tolist() == body["pixels"]

    # Deleting the run deletes its maps.
    assert AttributionMap.objects.filter(experiment=experiment).count() == 3
    experiment_services.experiment_delete(user=alice, experiment=experiment)
    assert not AttributionMap.objects.exists()


def test_grad_cam_on_a_cnn(
    alice_api: APIClient, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    experiment = trained_run(alice, TINY_CNN)
    body = queue_and_compute(
        alice_api,
        experiment,
        django_capture_on_commit_callbacks,
        **{"class": "box"},
        method="grad_cam",
    )
    specs = experiment_services.class_specs(experiment=experiment)
    template = pipeline.templates(specs, RunConfig.from_dict(experiment.config).seed)[0]
    expected = attribution.attribute(stored_model(experiment), template[None], [0], "grad_cam")
    np.testing.assert_allclose(body["map"], expected[0], rtol=1e-5, atol=1e-6)
    assert body["baseline"] is None and min(min(row) for row in body["map"]) >= 0


def test_an_index_past_the_training_set_is_a_400_naming_image_once_computed(
    alice_api: APIClient, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    experiment = trained_run(alice, TINY_MLP)
    # Two classes of ten copies: twenty training images.
    params = {"class": "box", "method": "saliency", "image": "20"}
    with django_capture_on_commit_callbacks(execute=False):
        assert alice_api.get(url(experiment, **params)).status_code == 202
    row = AttributionMap.objects.get(experiment=experiment)
    assert tasks.compute_attribution(row.pk) == "failed"
    answer = alice_api.get(url(experiment, **params))
    assert answer.status_code == 400
    assert answer.json() == {
        "image": ["This run has 20 training images (0 to 19); there is no image 20."]
    }


BAD_REQUESTS = [
    ({"method": "saliency"}, "class", "A class is required of this run; choose one of box, line"),
    ({"class": "circle", "method": "saliency"}, "class", "'circle' is not a class of this run"),
    ({"class": "box"}, "method", "A method is required; choose one of saliency, smoothgrad"),
    ({"class": "box", "method": "lime"}, "method", "'lime' is not a method"),
    ({"class": "box", "method": "grad_cam"}, "method", "grad_cam needs a convolution layer"),
    ({"class": "box", "method": "saliency", "image": "-1"}, "image", "'-1' is no image"),
    ({"class": "box", "method": "saliency", "image": "first"}, "image", "'first' is no image"),
]


@pytest.mark.parametrize("params,field,message", BAD_REQUESTS)
def test_bad_fields_are_a_400_naming_them(
    alice_api: APIClient, alice: Any, params: dict[str, str], field: str, message: str
) -> None:
    experiment = finished_run(alice)
    answer = alice_api.get(url(experiment, **params))
    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    assert message in answer.json()[field][0]
    assert not AttributionMap.objects.exists()


def test_it_checks_ownership(bob_api: APIClient, alice: Any) -> None:
    experiment = finished_run(alice)
    params = {"class": "box", "method": "saliency"}
    assert bob_api.get(url(experiment, **params)).status_code == 404
    assert bob_api.get("/api/v1/experiments/999999/attributions/?class=box").status_code == 404
    assert not AttributionMap.objects.exists()


def test_anonymous_requests_are_refused(client: Any, alice: Any) -> None:
    experiment = finished_run(alice)
    answer = client.get(url(experiment, **{"class": "box", "method": "saliency"}))
    assert answer.status_code in (401, 403)


def test_a_run_without_stored_weights_is_a_409(alice_api: APIClient, alice: Any) -> None:
    params = {"class": "box", "method": "saliency"}
    answer = alice_api.get(url(queued_run(alice), **params))
    assert answer.status_code == 409
    assert answer.json()["detail"] == (
        "Only a finished experiment can be looked inside; this one is queued."
    )
    answer = alice_api.get(url(finished_run(alice), **params))
    assert answer.status_code == 409
    assert answer.json()["detail"] == "This experiment has no stored weights to look inside."
    assert not AttributionMap.objects.exists()


def test_altered_weights_fail_the_map_with_a_409(
    alice_api: APIClient, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    experiment = trained_run(alice, TINY_MLP)
    with open(default_storage.path(experiment.weights.name), "ab") as handle:
        handle.write(b"\0")
    params = {"class": "box", "method": "saliency"}
    with django_capture_on_commit_callbacks(execute=False):
        assert alice_api.get(url(experiment, **params)).status_code == 202
    assert tasks.compute_attribution(AttributionMap.objects.get().pk) == "failed"
    answer = alice_api.get(url(experiment, **params))
    assert answer.status_code == 409
    assert "does not match its recorded SHA-256" in answer.json()["detail"]


def test_a_map_pending_long_after_its_task_was_sent_is_sent_again(
    alice_api: APIClient, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    experiment = trained_run(alice, TINY_MLP)
    params = {"class": "box", "method": "saliency"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alice_api.get(url(experiment, **params))
        AttributionMap.objects.update(queued_at=timezone.now() - timedelta(minutes=11))
        assert alice_api.get(url(experiment, **params)).status_code == 202
        assert alice_api.get(url(experiment, **params)).status_code == 202
    assert len(callbacks) == 2
