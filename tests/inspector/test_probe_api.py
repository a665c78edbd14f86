"""The probe's endpoint on real runs: a tiny model trained by the worker's own task, its
stored weights read back by the probe in numpy and by Keras, and the answers compared."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from experiments.models import Experiment
from inspector.api import ProbeSerializer
from models_zoo import persistence, probe, shapes
from models_zoo.config import RunConfig
from tests.conftest import run_in_another_process
from tests.factories import TINY_CNN, TINY_MLP, finished_run, queued_run, trained_run

pytestmark = pytest.mark.django_db


def url(experiment: Experiment) -> str:
    return f"/api/v1/experiments/{experiment.pk}/probe/"


def drawing(key: str = "box", seed: int = 0) -> list[list[float]]:
    """A class's image with some noise, as a page would send it."""
    rng = np.random.default_rng(seed)
    image = shapes.image(key, rng) * 0.8 + rng.uniform(0, 0.2, (28, 28))
    return np.clip(image, 0, 1).round(4).tolist()


def probe_of(experiment: Experiment) -> probe.Network:
    return probe.load(
        default_storage.path(experiment.weights.name),
        model=experiment.model_name,
        n_classes=len(experiment.class_keys),
        sha256=experiment.weights_sha256,
        sizes=experiment.config,
    )


@pytest.mark.parametrize("config", [TINY_MLP, TINY_CNN], ids=["mlp", "cnn"])
def test_it_answers_as_the_probe_and_tensorflow_do(
    alice_api: APIClient, alice: Any, config: dict[str, Any]
) -> None:
    experiment = trained_run(alice, config)
    assert experiment.weights.name and experiment.weights_sha256
    pixels = drawing()
    answer = alice_api.post(url(experiment), {"pixels": pixels}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    keys = [item["class"] for item in body["probabilities"]]
    assert keys == experiment.class_keys == ["box", "line"]
    p = np.array([item["p"] for item in body["probabilities"]])
    assert p.sum() == pytest.approx(1.0, abs=1e-9)

    stored = RunConfig.with_defaults(experiment.config)
    expected = probe_of(experiment).read(pixels, pool_gradient=stored["pool_gradient"])
    assert body["class"] == keys[expected.class_index] == keys[int(np.argmax(p))]
    np.testing.assert_allclose(p, expected.probabilities, rtol=0, atol=1e-12)
    saliency = np.array(body["saliency"])
    assert saliency.shape == (28, 28)
    np.testing.assert_allclose(saliency, expected.saliency, rtol=0, atol=1e-12)
    assert np.abs(saliency).max() > 0

    model = persistence.load_model(
        default_storage.path(experiment.weights.name),
        model=experiment.model_name,
        n_classes=2,
        sha256=experiment.weights_sha256,
        sizes=experiment.config,
    )
    # The built model ends in the logits; the probabilities are their softmax.
    from models_zoo.tf_env import tf

    logits = model(np.asarray(pixels, np.float32)[None, :, :, None], training=False)
    tensorflow_p = tf.nn.softmax(logits).numpy()[0]
    np.testing.assert_allclose(p, tensorflow_p, rtol=0, atol=1e-5)

    # Asked for the other class, it explains that one: same probabilities, its saliency.
    other = keys[1 - expected.class_index]
    answer = alice_api.post(url(experiment), {"pixels": pixels, "class": other}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["class"] == other
    assert [item["p"] for item in answer.json()["probabilities"]] == p.tolist()
    explained = probe_of(experiment).read(
        pixels, keys.index(other), pool_gradient=stored["pool_gradient"]
    )
    np.testing.assert_allclose(answer.json()["saliency"], explained.saliency, rtol=0, atol=1e-12)


@pytest.mark.django_db(transaction=True)
def test_the_web_process_answers_without_loading_tensorflow(alice: Any, settings: Any) -> None:
    experiment = trained_run(alice, TINY_MLP)
    code = f"""
import sys
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
client = APIClient()
client.force_authenticate(get_user_model().objects.get(pk={alice.pk}))
answer = client.post("{url(experiment)}", {{"pixels": {drawing()}}}, format="json")
print(answer.status_code, len(answer.json()["saliency"]))
print("tensorflow" in sys.modules, "keras" in sys.modules)
"""
    words = run_in_another_process(code, MEDIA_ROOT=str(settings.MEDIA_ROOT))
    assert words == ["200", "28", "False", "False"]


BAD_PIXELS = [
    ("not a list", "send 28 rows"),
    ([[0.5] * 28] * 27, "not 27 rows"),
    ([[0.5] * 28] * 27 + [[0.5] * 27], "row 27 must hold 28 numbers"),
    ([[0.5] * 28] * 27 + [[0.5] * 27 + ["x"]], "which is not a number"),
    ([[0.5] * 28] * 27 + [[0.5] * 27 + [1.5]], "every value must lie in [0, 1]"),
    ([[0.5] * 28] * 27 + [[0.5] * 27 + [-0.1]], "every value must lie in [0, 1]"),
    ([[0.5] * 28] * 27 + [[0.5] * 27 + [True]], "which is not a number"),
    (None, "null"),
]


@pytest.mark.parametrize("pixels,message", BAD_PIXELS)
def test_bad_pixels_are_a_400_naming_pixels(
    alice_api: APIClient, alice: Any, pixels: Any, message: str
) -> None:
    experiment = finished_run(alice)
    answer = alice_api.post(url(experiment), {"pixels": pixels}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["pixels"]
    assert message in answer.json()["pixels"][0]


def test_missing_pixels_and_a_body_that_is_no_object_are_400s(
    alice_api: APIClient, alice: Any
) -> None:
    experiment = finished_run(alice)
    answer = alice_api.post(url(experiment), {}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["pixels"]
    answer = alice_api.post(url(experiment), [1, 2], format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["non_field_errors"]


def test_a_nan_is_refused_by_the_body_reader_and_by_the_field(
    alice_api: APIClient, alice: Any
) -> None:
    experiment = finished_run(alice)
    text = '{"pixels": [[NaN' + ", 0" * 27 + "]" + (", [" + ", ".join(["0"] * 28) + "]") * 27 + "]}"
    answer = alice_api.post(url(experiment), text, content_type="application/json")
    assert answer.status_code == 400
    assert "NaN is not a number JSON allows" in answer.json()["detail"]
    # A NaN that reaches the serializer some other way is named there too.
    grid = [[0.0] * 28 for _ in range(28)]
    grid[3][4] = float("nan")
    body = ProbeSerializer(data={"pixels": grid})
    assert not body.is_valid()
    assert "row 3 holds a value that is not a finite number" in body.errors["pixels"][0]


def test_an_unknown_class_is_a_400_naming_class(alice_api: APIClient, alice: Any) -> None:
    experiment = finished_run(alice)
    for wrong in ("circle", "", 3):
        answer = alice_api.post(
            url(experiment), {"pixels": drawing(), "class": wrong}, format="json"
        )
        assert answer.status_code == 400, wrong
        assert list(answer.json()) == ["class"]
    assert "choose one of box, line" in answer.json()["class"][0]


def test_it_checks_ownership(bob_api: APIClient, alice: Any) -> None:
    experiment = finished_run(alice)
    answer = bob_api.post(url(experiment), {"pixels": drawing()}, format="json")
    assert answer.status_code == 404
    answer = bob_api.post("/api/v1/experiments/999999/probe/", {"pixels": drawing()}, format="json")
    assert answer.status_code == 404


def test_anonymous_requests_are_refused(client: Any, alice: Any) -> None:
    experiment = finished_run(alice)
    answer = client.post(url(experiment), {"pixels": drawing()}, content_type="application/json")
    assert answer.status_code in (401, 403)


def test_a_run_without_stored_weights_is_a_409_that_says_why(
    alice_api: APIClient, alice: Any
) -> None:
    queued = queued_run(alice)
    answer = alice_api.post(url(queued), {"pixels": drawing()}, format="json")
    assert answer.status_code == 409
    assert (
        answer.json()["detail"] == "Only a finished experiment can be probed; this one is queued."
    )
    # A finished run stored without weights (as the made-up runs are).
    finished = finished_run(alice)
    assert finished.status == Experiment.Status.DONE and not finished.weights.name
    answer = alice_api.post(url(finished), {"pixels": drawing()}, format="json")
    assert answer.status_code == 409
    assert answer.json()["detail"] == "This experiment has no stored weights to probe."


def test_an_altered_weights_file_is_a_409_and_is_not_loaded(
    alice_api: APIClient, alice: Any
) -> None:
    experiment = trained_run(alice, TINY_MLP)
    probe.clear_cache()
    with open(default_storage.path(experiment.weights.name), "ab") as handle:
        handle.write(b"\0")
    answer = alice_api.post(url(experiment), {"pixels": drawing()}, format="json")
    assert answer.status_code == 409
    assert "does not match its recorded SHA-256" in answer.json()["detail"]


def test_it_is_throttled_per_user_under_its_own_scope(
    alice_api: APIClient, alice: Any, bob_api: APIClient, bob: Any, monkeypatch: Any
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["probe"] == "600/minute"
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "probe": "2/minute"},
    )
    mine, theirs = finished_run(alice), finished_run(bob)
    codes = [
        alice_api.post(url(mine), {"pixels": drawing()}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [409, 409, 429]
    assert bob_api.post(url(theirs), {"pixels": drawing()}, format="json").status_code == 409
