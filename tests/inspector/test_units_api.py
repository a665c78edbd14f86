"""The hidden units' endpoint on real runs: the layers listed from the run's layer plan
match the stored model's, and a layer's unit images, queued (202) then computed by the task
function run here (200), are the ML core's on the stored model loaded again."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from experiments import services as experiment_services
from experiments.models import Experiment
from inspector import tasks
from inspector.models import UnitImages
from models_zoo import persistence, units
from models_zoo.config import RunConfig
from tests.factories import TINY_CNN, TINY_MLP, finished_run, queued_run, trained_run

pytestmark = pytest.mark.django_db

SMALL_MLP = {**TINY_MLP, "mlp_layers": [6, 5]}
SMALL_CNN = {**TINY_CNN, "cnn_filters": [3, 4], "cnn_dense": 8}


def url(experiment: Experiment, layer: str | None = None) -> str:
    query = "" if layer is None else f"?layer={layer}"
    return f"/api/v1/experiments/{experiment.pk}/units/{query}"


def stored_model(experiment: Experiment) -> Any:
    return persistence.load_model(
        default_storage.path(experiment.weights.name),
        model=experiment.model_name,
        n_classes=len(experiment.class_keys),
        sha256=experiment.weights_sha256,
        sizes=experiment.config,
    )


def queue_and_compute(
    api: APIClient, experiment: Experiment, layer: str, capture: Any
) -> dict[str, Any]:
    with capture(execute=False) as callbacks:
        first = api.get(url(experiment, layer))
        again = api.get(url(experiment, layer))
    assert first.status_code == again.status_code == 202, first.content
    assert first.json() == {"status": "computing", "layer": layer}
    assert len(callbacks) == 1
    row = UnitImages.objects.get(experiment=experiment, layer=layer)
    assert tasks.compute_units(row.pk) == "done"
    assert tasks.compute_units(row.pk) == "skipped"
    done = api.get(url(experiment, layer))
    assert done.status_code == 200, done.content
    return dict(done.json())


@pytest.mark.parametrize(
    "config,names",
    [
        (SMALL_MLP, ["dense_1", "dense_2", "logits"]),
        (SMALL_CNN, ["conv_1", "conv_2", "dense_1", "logits"]),
    ],
    ids=["mlp", "cnn"],
)
def test_it_lists_the_layers_then_computes_a_layers_units_once(
    alice_api: APIClient,
    alice: Any,
    django_capture_on_commit_callbacks: Any,
    config: dict[str, Any],
    names: list[str],
) -> None:
    experiment = trained_run(alice, config)
    model = stored_model(experiment)
    listing = alice_api.get(url(experiment))
    assert listing.status_code == 200
    layers = listing.json()["layers"]
    assert [layer["name"] for layer in layers] == names
    assert [(layer["kind"], layer["units"]) for layer in layers] == [
        (probe.kind, probe.units) for probe in units.layers(model)
    ]

    stored = RunConfig.with_defaults(experiment.config)
    first = queue_and_compute(alice_api, experiment, names[0], django_capture_on_commit_callbacks)
    probe = units.layers(model)[0]
    assert first["layer"] == names[0] and first["kind"] == probe.kind
    assert first["units"] == probe.units == len(first["images"])
    expected = units.maximize_units(
        model, probe.name, seed=stored["seed"], pool_gradient=stored["pool_gradient"]
    )
    np.testing.assert_allclose(first["images"], expected, rtol=1e-5, atol=1e-5)
    assert np.array(first["images"]).shape == (probe.units, 28, 28)
    np.testing.assert_allclose(first["weights"], units.first_layer_weights(model), atol=1e-7)

    second = queue_and_compute(alice_api, experiment, names[1], django_capture_on_commit_callbacks)
    assert second["weights"] is None
    assert np.array(second["images"]).shape == (units.layers(model)[1].units, 28, 28)

    experiment_services.experiment_delete(user=alice, experiment=experiment)
    assert not UnitImages.objects.exists()


def test_an_unknown_layer_is_a_400_naming_layer(alice_api: APIClient, alice: Any) -> None:
    experiment = finished_run(alice)
    answer = alice_api.get(url(experiment, "conv_1"))
    assert answer.status_code == 400
    assert answer.json() == {
        "layer": [
            "'conv_1' is no dense or convolution layer of this run; "
            "choose one of dense_1, dense_2, logits"
        ]
    }
    assert not UnitImages.objects.exists()


def test_it_checks_ownership(bob_api: APIClient, alice: Any) -> None:
    experiment = finished_run(alice)
    assert bob_api.get(url(experiment)).status_code == 404
    assert bob_api.get(url(experiment, "dense_1")).status_code == 404
    assert not UnitImages.objects.exists()


def test_a_run_without_stored_weights_is_a_409(alice_api: APIClient, alice: Any) -> None:
    for experiment in (queued_run(alice), finished_run(alice)):
        assert alice_api.get(url(experiment)).status_code == 409
        assert alice_api.get(url(experiment, "dense_1")).status_code == 409
    assert not UnitImages.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_web_process_queues_and_lists_without_loading_tensorflow(
    alice: Any, settings: Any
) -> None:
    from tests.conftest import run_in_another_process

    experiment = trained_run(alice, SMALL_MLP)
    code = f"""
import sys
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
client = APIClient()
client.force_authenticate(get_user_model().objects.get(pk={alice.pk}))
print(client.get("{url(experiment)}").status_code)
print(client.get("{url(experiment, "dense_1")}").status_code)
print(client.get("/api/v1/experiments/{experiment.pk}/attributions/?class=box&method=saliency").status_code)
print("tensorflow" in sys.modules, "keras" in sys.modules)
"""
    words = run_in_another_process(code, MEDIA_ROOT=str(settings.MEDIA_ROOT))
    assert words == ["200", "202", "202", "False", "False"]
    assert UnitImages.objects.get().status == UnitImages.Status.PENDING


def test_a_failed_layer_says_the_unit_images_could_not_be_computed(
    alice_api: APIClient,
    alice: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    experiment = trained_run(alice, SMALL_MLP)

    def fails(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the ascent diverged")

    monkeypatch.setattr(units, "maximize_units", fails)
    with django_capture_on_commit_callbacks(execute=False):
        assert alice_api.get(url(experiment, "dense_1")).status_code == 202
    assert tasks.compute_units(UnitImages.objects.get().pk) == "failed"
    answer = alice_api.get(url(experiment, "dense_1"))
    assert answer.status_code == 409
    assert answer.json()["detail"] == (
        "The unit images could not be computed (RuntimeError): the ascent diverged"
    )
