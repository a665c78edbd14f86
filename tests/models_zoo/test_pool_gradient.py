"""Max pooling whose gradient reaches every tied maximum (the Theano-era prototype's rule)."""

from __future__ import annotations

import numpy as np
import pytest

from models_zoo.config import PRESETS, RunConfig
from models_zoo.generation import RMS_EPSILON, generate, one_more_step
from models_zoo.pooling import tied_max_pool
from models_zoo.tf_env import keras, tf

# Four 2x2 windows: [[1, 1], [1, 0]] (three-way tie), [[0, 2], [2, 2]] (three-way tie),
# [[3, 3], [3, 3]] (four-way tie) and [[5, 4], [1, 4]] (one maximum).
IMAGE = np.array([[1, 1, 0, 2], [1, 0, 2, 2], [3, 3, 5, 4], [3, 3, 1, 4]], np.float32).reshape(
    1, 4, 4, 1
)
# The gradient arriving at each window's output.
UPSTREAM = np.array([[1, 10], [100, 1000]], np.float32).reshape(1, 2, 2, 1)


def pool_gradient(pool) -> tuple[np.ndarray, np.ndarray]:
    x = tf.constant(IMAGE)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = pool(x)
        total = tf.reduce_sum(y * UPSTREAM)
    return y.numpy()[0, ..., 0], tape.gradient(total, x).numpy()[0, ..., 0]


def test_every_tied_maximum_gets_the_whole_window_gradient():
    pooled, grad = pool_gradient(lambda x: tied_max_pool(x, 2))
    np.testing.assert_array_equal(pooled, [[1, 2], [3, 5]])
    # Worked by hand: each element equal to its window's maximum receives the window's
    # whole gradient (Theano's MaxPoolGrad adds gz to every such element), the others 0.
    expected = [
        [1, 1, 0, 10],
        [1, 0, 10, 10],
        [100, 100, 1000, 0],
        [100, 100, 0, 0],
    ]
    np.testing.assert_array_equal(grad, expected)


def test_tensorflows_rule_sends_a_tied_windows_gradient_to_one_element():
    pooled, grad = pool_gradient(lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"))
    np.testing.assert_array_equal(pooled, [[1, 2], [3, 5]])
    windows = grad.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)
    values = IMAGE[0, ..., 0].reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)
    for window, value, upstream in zip(windows, values, UPSTREAM.ravel(), strict=True):
        (at,) = np.flatnonzero(window)
        assert window[at] == upstream and value[at] == value.max()
    assert grad[3, 2] == 0 and grad[2, 2] == 1000  # the untied window is the same either way


@pytest.mark.parametrize("shape,size", [((2, 24, 24, 5), 2), ((3, 7, 9, 2), 2), ((1, 9, 8, 4), 3)])
def test_the_forward_pass_is_max_pooling2d(shape, size):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, shape).astype(np.float32))
    expected = keras.layers.MaxPooling2D(size)(x)
    np.testing.assert_array_equal(tied_max_pool(x, size).numpy(), expected.numpy())


def tiny_cnn(n_classes: int = 3) -> object:
    """Untrained, with the convolution's biases set as training leaves them (not zero): on a
    black image the convolution's output is its bias, so a zero bias gives no gradient."""
    keras.utils.set_random_seed(5)
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(n_classes, name="logits"),
        ],
        name="tiny_pool_cnn",
    )
    model.layers[0].bias.assign([0.1, -0.05, 0.2, 0.05])
    return model


def config(**changes: object) -> RunConfig:
    settings = {**PRESETS["paper"], "classes": ["box", "line", "circle"], "max_steps": 1}
    return RunConfig.from_dict({**settings, **changes})


def first_step_by_hand(model, target: int, equal_split: bool) -> np.ndarray:
    """The first update from a black image, written out: TensorFlow's own pooling, or a max
    over reshaped windows, whose gradient TensorFlow splits equally among tied elements."""
    conv, _, _, flatten, dense = model.layers
    x = tf.zeros([1, 28, 28, 1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = conv(x)
        if equal_split:
            h = tf.reduce_max(tf.reshape(h, [1, 13, 2, 13, 2, 4]), axis=[2, 4])
        else:
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        probability = tf.nn.softmax(dense(flatten(h)))[0, target]
    grad = tape.gradient(probability, x).numpy()[0, ..., 0]
    if equal_split:
        grad = grad * 4  # from black every window is a four-way tie: each share is a quarter
    return 0.005 * grad / (np.sqrt(np.mean(grad**2)) + RMS_EPSILON)


def test_generation_follows_the_setting():
    model = tiny_cnn()
    steps = {}
    for setting in ("shared", "single"):
        made = generate(model, 3, config(pool_gradient=setting))
        assert list(made.steps) == [1, 1, 1]
        steps[setting] = made.images
    for target in range(3):
        shared = first_step_by_hand(model, target, equal_split=True)
        single = first_step_by_hand(model, target, equal_split=False)
        np.testing.assert_allclose(steps["shared"][target], shared, atol=1e-6)
        np.testing.assert_allclose(steps["single"][target], single, atol=1e-6)
        assert np.abs(shared - single).max() > 1e-3
    assert not np.allclose(steps["shared"], steps["single"], atol=1e-4)


def test_one_more_step_is_the_next_update():
    model = tiny_cnn()
    three = generate(model, 3, config(max_steps=3))
    four = generate(model, 3, config(max_steps=4))
    assert not three.reached.any() and list(four.steps) == [4, 4, 4]
    moved = one_more_step(model, 3, config(max_steps=3), three.images[[0, 2]], [0, 2])
    np.testing.assert_allclose(moved, four.images[[0, 2]], atol=1e-6)
