"""The probe's numpy attribution methods and feature maps against the worker's TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from models_zoo import architectures, attribution, persistence, probe, probe_methods, shapes
from models_zoo.tf_env import keras, seed_everything

CASES = [
    ("mlp", {"mlp_layers": [12, 8]}),
    ("cnn", {"cnn_filters": [4, 6], "cnn_dense": 10}),
    ("cnn_deep", None),
]


@pytest.fixture(scope="module", params=CASES, ids=[name for name, _ in CASES])
def stored(request, tmp_path_factory):
    """A tiny model trained a few steps on random images (so its weights are not the
    initial ones), stored and loaded back as the probe loads it."""
    name, sizes = request.param
    seed_everything(0)
    model = architectures.build(name, 3, sizes)
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(24, 28, 28, 1)).astype(np.float32)
    labels = rng.integers(0, 3, 24)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(images, labels, epochs=2, batch_size=8, verbose=0)
    path = tmp_path_factory.mktemp(name) / f"{name}.weights.h5"
    sha = persistence.save_weights(model, path)
    network = probe.load(path, model=name, n_classes=3, sha256=sha, sizes=sizes)
    return model, network


def _image() -> np.ndarray:
    return np.clip(
        shapes.image("box") + np.random.default_rng(3).uniform(0, 0.3, (28, 28)), 0, 1
    ).astype(np.float32)


def _worker(model, method: str, class_index: int) -> np.ndarray:
    return attribution.attribute(model, _image()[None], [class_index], method)[0]


def _close(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == (28, 28)
    scale = max(float(np.abs(theirs).max()), 1e-6)
    assert np.abs(theirs).max() > 0
    np.testing.assert_allclose(ours, theirs, atol=1e-4 * scale, rtol=1e-3)


@pytest.mark.parametrize("method", ["integrated_gradients", "occlusion"])
def test_maps_equal_the_workers(stored, method):
    model, network = stored
    for class_index in (0, 2):
        ours = probe_methods.attribute(network, _image(), class_index, method)
        _close(ours, _worker(model, method, class_index))


def test_grad_cam_equals_the_workers_or_is_refused_without_convolution(stored):
    model, network = stored
    if not probe_methods.has_convolution(network):
        with pytest.raises(ValueError, match="method"):
            probe_methods.grad_cam(network, _image(), 0)
        return
    lit = 0
    for class_index in range(3):  # a class's map can be all zero after the relu
        ours = probe_methods.grad_cam(network, _image(), class_index)
        theirs = _worker(model, "grad_cam", class_index)
        np.testing.assert_allclose(ours, theirs, atol=1e-4 * max(theirs.max(), 1e-6))
        lit += bool(theirs.max() > 0)
    assert lit


def test_smoothgrad_is_the_mean_logit_gradient_over_its_noisy_copies(stored):
    """numpy's generator cannot draw TensorFlow's stateless noise, so the map is checked
    against the worker's logit gradient of the very copies it draws."""
    model, network = stored
    copies = probe_methods.noisy_copies(_image(), seed=5, samples=6).astype(np.float32)
    theirs = attribution.attribute(model, copies, [2] * 6, "saliency").mean(axis=0)
    ours = probe_methods.smoothgrad(network, _image(), 2, seed=5, samples=6)
    _close(ours, theirs)
    again = probe_methods.smoothgrad(network, _image(), 2, seed=5, samples=6)
    other = probe_methods.smoothgrad(network, _image(), 2, seed=6, samples=6)
    np.testing.assert_array_equal(ours, again)
    assert not np.allclose(ours, other)


def test_noise_scales_with_the_images_range():
    flat = probe_methods.noisy_copies(np.zeros((28, 28)), seed=1, samples=200)
    assert flat.std() == pytest.approx(0.15, rel=0.05)
    half = probe_methods.noisy_copies(np.full((28, 28), 0.5) * (np.arange(28) % 2), seed=1)
    assert (half - 0.5 * (np.arange(28) % 2)).std() == pytest.approx(0.075, rel=0.1)


def test_feature_maps_equal_keras_layer_outputs(stored):
    model, network = stored
    names = probe_methods.layer_names(network.plan)
    assert names[-1][0] == "logits"
    for name, place in names:
        keras_layer = model.layers[place]
        tapped = keras.Model(model.inputs[0], keras_layer.output)
        theirs = np.asarray(tapped(_image()[None, ..., None], training=False))[0]
        ours = probe_methods.feature_maps(network, _image(), name)
        if theirs.ndim == 3:
            theirs = theirs.transpose(2, 0, 1)
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_unknown_layer_and_method_are_refused(stored):
    _, network = stored
    with pytest.raises(ValueError, match="layer"):
        probe_methods.feature_maps(network, _image(), "conv_9")
    with pytest.raises(ValueError, match="method"):
        probe_methods.attribute(network, _image(), 0, "lime")
