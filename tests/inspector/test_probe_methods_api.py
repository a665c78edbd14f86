"""The probe endpoint's ``method`` and ``layer``: other attribution maps and a layer's
feature maps, on runs trained for real, compared with ``models_zoo.probe_methods``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from models_zoo import probe_methods
from tests.factories import TINY_CNN, TINY_MLP, trained_run
from tests.inspector.test_probe_api import drawing, probe_of, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def cnn_run(alice: Any) -> Any:
    return trained_run(alice, TINY_CNN)


def test_each_method_answers_its_map_for_the_explained_class(
    alice_api: APIClient, cnn_run: Any
) -> None:
    pixels = drawing()
    network = probe_of(cnn_run)
    plain = alice_api.post(url(cnn_run), {"pixels": pixels}, format="json").json()
    assert plain["method"] == "saliency"
    for method in ("smoothgrad", "integrated_gradients", "grad_cam", "occlusion"):
        answer = alice_api.post(
            url(cnn_run), {"pixels": pixels, "method": method, "class": "line"}, format="json"
        )
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["method"] == method and body["class"] == "line"
        assert "feature_maps" not in body
        expected = probe_methods.attribute(network, pixels, 1, method)
        np.testing.assert_allclose(np.array(body["saliency"]), expected, rtol=0, atol=1e-12)
        assert not np.allclose(body["saliency"], plain["saliency"])


def test_a_layer_adds_its_feature_maps(alice_api: APIClient, cnn_run: Any) -> None:
    pixels = drawing("line")
    network = probe_of(cnn_run)
    names = [name for name, _ in probe_methods.layer_names(network.plan)]
    assert names[0] == "conv_1" and names[-1] == "logits"
    plain = alice_api.post(url(cnn_run), {"pixels": pixels}, format="json").json()
    assert plain["layers"] == names
    for layer in ("conv_1", names[-1]):
        answer = alice_api.post(url(cnn_run), {"pixels": pixels, "layer": layer}, format="json")
        assert answer.status_code == 200, answer.content
        maps = np.array(answer.json()["feature_maps"])
        np.testing.assert_allclose(maps, probe_methods.feature_maps(network, pixels, layer))
    logits = np.array(answer.json()["feature_maps"])
    assert logits.shape == (2,)
    p = np.exp(logits - logits.max())
    np.testing.assert_allclose(
        p / p.sum(), [item["p"] for item in answer.json()["probabilities"]], atol=1e-9
    )


def test_bad_method_and_layer_are_400s_naming_them(alice_api: APIClient, alice: Any) -> None:
    mlp = trained_run(alice, TINY_MLP)
    pixels = drawing()
    for body, field in (
        ({"method": "lime"}, "method"),
        ({"method": "grad_cam"}, "method"),
        ({"layer": "conv_1"}, "layer"),
        ({"layer": "nope"}, "layer"),
    ):
        answer = alice_api.post(url(mlp), {"pixels": pixels, **body}, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert field in answer.json(), answer.json()
    fine = alice_api.post(url(mlp), {"pixels": pixels, "layer": "dense_1"}, format="json")
    assert fine.status_code == 200
    assert np.array(fine.json()["feature_maps"]).ndim == 1
