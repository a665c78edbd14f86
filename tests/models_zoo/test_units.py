"""Hidden units of small seeded models: the layers offered, activation maximization, the
first layer's weights and feature maps."""

from __future__ import annotations

import numpy as np
import pytest

from models_zoo import architectures
from models_zoo.attribution import kept
from models_zoo.units import (
    Probe,
    feature_maps,
    first_layer_weights,
    layers,
    maximize_units,
    unit_scores,
)


def seeded(name: str, sizes: dict) -> object:
    """A model with Keras' seeded weights and small positive biases (Keras starts them at
    zero, which would leave a black image with no gradient through the ReLUs)."""
    from models_zoo.tf_env import seed_everything

    seed_everything(0)
    model = architectures.build(name, 3, sizes)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if getattr(layer, "use_bias", False):
            layer.bias.assign(rng.uniform(0.0, 0.1, layer.bias.shape).astype(np.float32))
    return model


@pytest.fixture(scope="module")
def mlp():
    return seeded("mlp", {"mlp_layers": (12, 8)})


@pytest.fixture(scope="module")
def cnn():
    return seeded("cnn", {"cnn_filters": (4, 6), "cnn_dense": 10})


def test_layers_lists_the_dense_and_convolution_layers(mlp, cnn):
    assert [(p.kind, p.units) for p in layers(mlp)] == [("dense", 12), ("dense", 8), ("dense", 3)]
    assert [(p.kind, p.units) for p in layers(cnn)] == [
        ("conv", 4),
        ("conv", 6),
        ("dense", 10),
        ("dense", 3),
    ]
    assert layers(cnn)[-1] == Probe("logits", "dense", 3)


def test_a_dense_layers_grid_raises_every_units_score(mlp):
    name = layers(mlp)[1].name
    grid = maximize_units(mlp, name, steps=30)
    assert grid.shape == (8, 28, 28) and grid.dtype == np.float32
    assert grid.min() >= 0.0 and grid.max() <= 1.0  # clipped by default
    before = unit_scores(mlp, name, np.zeros((8, 28, 28)))
    after = unit_scores(mlp, name, grid)
    assert np.all(after > before + 0.1), (before, after)
    assert len({image.tobytes() for image in grid}) == 8  # each unit wants its own image


def test_a_convolution_channels_grid_raises_their_mean_scores_from_noise(cnn):
    name = layers(cnn)[1].name
    start = maximize_units(cnn, name, [0, 5], steps=0, start="noise", seed=2)
    grid = maximize_units(cnn, name, [0, 5], steps=30, start="noise", seed=2)
    assert grid.shape == (2, 28, 28)
    before = unit_scores(cnn, name, start, [0, 5])
    after = unit_scores(cnn, name, grid, [0, 5])
    assert np.all(after > before), (before, after)


def test_tied_pooling_windows_share_the_gradient_as_in_generation(cnn):
    name = layers(cnn)[2].name  # the dense layer past the max pooling
    one_step = {"steps": 1, "clip": False}
    shared = maximize_units(cnn, name, [0, 1], **one_step)
    single = maximize_units(cnn, name, [0, 1], pool_gradient="single", **one_step)
    assert np.abs(shared - single).max() > 1e-3  # from black every window is tied
    noisy = {"start": "noise", "seed": 1, **one_step}
    np.testing.assert_allclose(
        maximize_units(cnn, name, [0, 1], **noisy),
        maximize_units(cnn, name, [0, 1], pool_gradient="single", **noisy),
        atol=1e-5,
    )


def test_a_layers_grid_is_one_compiled_loop_reused_for_other_units(mlp):
    name = layers(mlp)[0].name
    maximize_units(mlp, name, steps=3)
    maximize_units(mlp, name, [1, 4], steps=5, step_size=0.05)
    compiled = kept(mlp, f"maximize:{name}:shared", lambda: None)
    assert compiled.experimental_get_tracing_count() == 1


def test_first_layer_weights_are_the_kernel_reshaped(mlp, cnn):
    dense = np.asarray(mlp.get_layer(layers(mlp)[0].name).kernel)
    weights = first_layer_weights(mlp)
    assert weights.shape == (12, 28, 28)
    np.testing.assert_array_equal(weights[5], dense[:, 5].reshape(28, 28))
    kernel = np.asarray(cnn.get_layer(layers(cnn)[0].name).kernel)
    filters = first_layer_weights(cnn)
    assert filters.shape == (4, 3, 3)  # as they are, not enlarged
    np.testing.assert_array_equal(filters[2], kernel[:, :, 0, 2])


def test_feature_maps_are_the_layers_output(cnn):
    from models_zoo.tf_env import keras

    image = np.random.default_rng(0).uniform(0, 1, (28, 28)).astype(np.float32)
    name = layers(cnn)[1].name
    expected = keras.Model(cnn.inputs[0], cnn.get_layer(name).output)(image[None, ..., None])
    maps = feature_maps(cnn, name, image)
    assert maps.shape == (6, 24, 24)
    np.testing.assert_allclose(maps, np.asarray(expected)[0].transpose(2, 0, 1), rtol=1e-5)
    assert feature_maps(cnn, "logits", image).shape == (3, 1, 1)


def test_bad_choices_are_refused_naming_the_field(mlp):
    with pytest.raises(ValueError, match="layer_name"):
        maximize_units(mlp, "flatten")
    with pytest.raises(ValueError, match="units"):
        maximize_units(mlp, "logits", [3])
    with pytest.raises(ValueError, match="pool_gradient"):
        maximize_units(mlp, "logits", pool_gradient="all")
    with pytest.raises(ValueError, match="layer_name"):
        feature_maps(mlp, "nowhere", np.zeros((28, 28)))
