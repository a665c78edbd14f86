"""The live probe's numpy network against the Keras model it stands in for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models_zoo import architectures, persistence, probe, shapes
from models_zoo.config import RunConfig
from models_zoo.pooling import apply_layer
from models_zoo.tf_env import seed_everything, tf

ROOT = Path(__file__).resolve().parents[2]

# Every architecture at its paper shape, and those with a shape setting at another one: once
# from a run configuration, once from a stored configuration (lists, as JSON gives them).
CASES = [(name, 3, None) for name in sorted(architectures.ARCHITECTURES)] + [
    ("mlp", 5, RunConfig(classes=("box", "line"), mlp_layers=(17, 9, 5))),
    ("cnn", 5, {"cnn_filters": [5, 7, 3], "cnn_dense": 11}),
]
# Keras' layer classes and the plan's names for them.
KINDS = {
    "Flatten": "flatten",
    "Dense": "dense",
    "Conv2D": "conv2d",
    "MaxPooling2D": "max_pooling2d",
    "Dropout": "dropout",
    "GlobalAveragePooling2D": "global_average_pooling2d",
}
IDS = [f"{name}-{'paper' if sizes is None else 'other'}" for name, _, sizes in CASES]


class Stored:
    def __init__(self, name: str, n_classes: int, sizes: Any, folder: Path) -> None:
        seed_everything(0)
        self.name, self.n_classes, self.sizes = name, n_classes, sizes
        self.model = architectures.build(name, n_classes, sizes)
        _sharpen(self.model)
        self.path = folder / f"{name}.weights.h5"
        self.sha256 = persistence.save_weights(self.model, self.path)

    def load(self) -> probe.Network:
        return probe.load(
            self.path,
            model=self.name,
            n_classes=self.n_classes,
            sha256=self.sha256,
            sizes=self.sizes,
        )


def _sharpen(model: Any) -> None:
    """Non-zero biases (so a black image reaches every layer, and ties every max-pool window)
    and larger logits (probabilities far from uniform, where softmax is least forgiving)."""
    rng = np.random.default_rng(7)
    weights = model.get_weights()
    weights = [rng.normal(0.0, 0.1, w.shape).astype(w.dtype) if w.ndim == 1 else w for w in weights]
    weights[-2] = weights[-2] * 10.0
    model.set_weights(weights)


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def stored(request, tmp_path_factory):
    name, n_classes, sizes = request.param
    return Stored(name, n_classes, sizes, tmp_path_factory.mktemp(name))


def inputs() -> dict[str, np.ndarray]:
    return {
        "black": np.zeros((28, 28), np.float32),
        "random": np.random.default_rng(1).uniform(size=(28, 28)).astype(np.float32),
        "box": shapes.image("box").astype(np.float32),
    }


def test_every_architecture_declares_a_plan():
    assert set(architectures.LAYER_PLANS) >= set(architectures.ARCHITECTURES)


def test_the_plan_is_the_keras_model_layer_for_layer(stored):
    plan = architectures.plan(stored.name, stored.n_classes, stored.sizes)
    layers = stored.model.layers
    assert len(plan) == len(layers)
    for step, layer in zip(plan, layers, strict=True):
        config = layer.get_config()
        kind = KINDS.get(type(layer).__name__)
        assert step.kind == kind, (step, layer.name)
        if kind == "dense":
            assert (step.size, step.activation) == (config["units"], config["activation"])
        elif kind == "conv2d":
            assert config["filters"] == step.size and config["activation"] == step.activation
            assert tuple(config["kernel_size"]) == (step.kernel, step.kernel)
            assert tuple(config["strides"]) == (step.strides, step.strides)
            assert config["padding"] == step.padding
            assert tuple(config["dilation_rate"]) == (1, 1) and config["groups"] == 1
        elif kind == "max_pooling2d":
            assert tuple(config["pool_size"]) == (step.size, step.size)
            assert tuple(config["strides"]) == (step.size, step.size)
            assert config["padding"] == "valid"
        if "data_format" in config:
            assert config["data_format"] == "channels_last"
        if "use_bias" in config:
            assert config["use_bias"]
    assert plan[-1] == architectures.Layer("dense", stored.n_classes)
    assert layers[-1].name == "logits"


def test_weights_load_in_the_models_order(stored):
    network = stored.load()
    loaded = [array for pair in network.weights if pair for array in pair]
    expected = stored.model.get_weights()
    assert [a.shape for a in loaded] == [e.shape for e in expected]
    for ours, theirs in zip(loaded, expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_probabilities_equal_tensorflows(stored):
    network = stored.load()
    for label, image in inputs().items():
        theirs = tf.nn.softmax(stored.model(image[None, :, :, None], training=False)).numpy()[0]
        ours = network.forward(image)
        assert ours.shape == (stored.n_classes,)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5, err_msg=label)
    batch = np.stack(list(inputs().values()))
    assert network.forward(batch).max() > 1.4 / stored.n_classes  # far from uniform
    np.testing.assert_allclose(
        network.forward(batch),
        np.stack([network.forward(image) for image in batch]),
        rtol=0,
        atol=1e-12,
    )


def _tape_gradient(model, image, class_index, objective, shared):
    x = tf.constant(image[None, :, :, None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = x
        for layer in model.layers:
            h = apply_layer(layer, h, shared)
        if objective == "probability":
            h = tf.nn.softmax(h)
        target = h[0, class_index]
    return tape.gradient(target, x).numpy()[0, :, :, 0]


@pytest.mark.parametrize(
    ("objective", "pool_gradient"),
    [("probability", "single"), ("probability", "shared"), ("logit", "single")],
)
def test_saliency_equals_the_gradient_tapes(stored, objective, pool_gradient):
    network = stored.load()
    for label, image in inputs().items():
        for class_index in (0, stored.n_classes - 1):
            theirs = _tape_gradient(
                stored.model, image, class_index, objective, pool_gradient == "shared"
            )
            ours = network.saliency(
                image, class_index, objective=objective, pool_gradient=pool_gradient
            )
            assert ours.shape == (28, 28)
            assert np.abs(theirs).max() > 1e-6, label  # a gradient that can be wrong
            tolerance = 1e-5 * max(1.0, float(np.abs(theirs).max()))
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=tolerance, err_msg=label)


def test_one_reading_gives_both_and_defaults_to_the_likeliest_class(stored):
    network = stored.load()
    image = inputs()["box"]
    reading = network.read(image)
    np.testing.assert_array_equal(reading.probabilities, network.forward(image))
    assert reading.class_index == int(np.argmax(reading.probabilities))
    np.testing.assert_array_equal(reading.saliency, network.saliency(image, reading.class_index))


def test_the_two_pool_gradients_differ_on_a_black_image(tmp_path):
    # From black every 2x2 window is a tie, so the rules differ.
    stored = Stored("cnn", 3, None, tmp_path)
    network = stored.load()
    black = inputs()["black"]
    single = network.saliency(black, 0, pool_gradient="single")
    shared = network.saliency(black, 0, pool_gradient="shared")
    assert np.abs(single - shared).max() > 1e-3 * np.abs(shared).max()


@pytest.fixture
def mlp(tmp_path):
    return Stored("mlp", 3, None, tmp_path)


def test_the_hash_is_the_one_persistence_records(mlp):
    assert probe.sha256_of_bytes(mlp.path.read_bytes()) == persistence.sha256_of(mlp.path)


def test_an_altered_file_is_refused(mlp):
    data = bytearray(mlp.path.read_bytes())
    data[-100] ^= 0xFF
    mlp.path.write_bytes(bytes(data))
    with pytest.raises(probe.ProbeError, match="SHA-256"):
        mlp.load()
    with pytest.raises(probe.ProbeError, match="SHA-256"):
        probe.load(mlp.path, model="mlp", n_classes=3, sha256="0" * 64)


def test_a_file_changed_after_loading_is_read_and_refused(mlp):
    first = mlp.load()
    assert mlp.load() is first  # kept: the second call reads nothing
    other = Stored("mlp", 3, {"mlp_layers": [128, 128]}, mlp.path.parent / "other")
    mlp.path.write_bytes(other.path.read_bytes())  # same path, different weights
    with pytest.raises(probe.ProbeError, match="SHA-256"):
        mlp.load()


def test_weights_of_another_model_or_shape_do_not_fit(mlp):
    for model, n_classes, sizes in [
        ("cnn", 3, None),
        ("mlp", 4, None),
        ("mlp", 3, {"mlp_layers": [64, 128]}),
        ("mlp", 3, {"mlp_layers": [128]}),
    ]:
        with pytest.raises(probe.ProbeError, match="does not fit"):
            probe.load(mlp.path, model=model, n_classes=n_classes, sha256=mlp.sha256, sizes=sizes)


def test_a_missing_file_or_model_is_refused(mlp, tmp_path):
    with pytest.raises(probe.ProbeError, match="cannot read"):
        probe.load(tmp_path / "gone.weights.h5", model="mlp", n_classes=3, sha256="0")
    with pytest.raises(probe.ProbeError, match="unknown model"):
        probe.load(mlp.path, model="vgg", n_classes=3, sha256=mlp.sha256)


def test_bad_input_names_what_is_wrong(mlp):
    network = mlp.load()
    with pytest.raises(ValueError, match="pixels must be 28 x 28"):
        network.forward(np.zeros((27, 28)))
    with pytest.raises(ValueError, match="pixels must be 28 x 28, not 2 x 28 x 28"):
        network.saliency(np.zeros((2, 28, 28)), 0)
    with pytest.raises(ValueError, match="finite"):
        network.forward(np.full((28, 28), np.nan))
    with pytest.raises(ValueError, match="class_index must be from 0 to 2"):
        network.saliency(np.zeros((28, 28)), 3)
    with pytest.raises(ValueError, match="objective"):
        network.saliency(np.zeros((28, 28)), 0, objective="loss")
    with pytest.raises(ValueError, match="pool_gradient"):
        network.saliency(np.zeros((28, 28)), 0, pool_gradient="mean")


def test_the_probe_runs_without_tensorflow(mlp):
    code = (
        "import sys, numpy as np; from models_zoo import probe; "
        f"network = probe.load({str(mlp.path)!r}, model='mlp', n_classes=3, "
        f"sha256={mlp.sha256!r}); "
        "reading = network.read(np.zeros((28, 28))); "
        "print(round(float(reading.probabilities.sum()), 6)); "
        "print(' '.join(sorted(name.split('.')[0] for name in sys.modules)))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert output[0] == "1.0"
    modules = set(output[1].split())
    assert "h5py" in modules  # the file really was read
    assert "tensorflow" not in modules and "keras" not in modules
