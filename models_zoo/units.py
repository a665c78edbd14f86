"""Hidden units: what single units of a trained model respond to.

- ``layers``: the dense and convolution layers whose units can be probed.
- ``maximize_units``: activation maximization of each chosen unit of one layer, one image
  per unit, all optimised together in one compiled loop (like class generation). A dense
  unit's score is its **pre-activation** (the weighted sum before tanh or ReLU, which only
  rise with it and would stop the gradient where a ReLU is off); a convolution channel's is
  the mean of its pre-activation over all positions. Each step is the update generation
  uses, ``x += step_size * g / (rms(g) + 1e-5)`` per image, then clipped to [0, 1] unless
  ``clip`` is off; a tied max-pool window sends its gradient to every tied maximum unless
  ``pool_gradient`` is ``"single"`` (the run setting, as in generation).
- ``first_layer_weights``: the first weighted layer's weights as images: a first dense layer
  on the 784 pixels gives one 28 x 28 image per unit; a first convolution gives its kernels
  **as they are** (``(filters, 3, 3)`` for the CNNs), to be enlarged for display.
- ``feature_maps``: a layer's output for one input, ``(channels, height, width)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from models_zoo.attribution import SIDE, kept
from models_zoo.config import CHOICES

UNIT_STEPS = 200
UNIT_STEP_SIZE = 0.02
RMS_EPSILON = 1e-5
POOL_GRADIENTS = CHOICES["pool_gradient"]


class Probe(NamedTuple):
    name: str
    kind: str  # "dense" or "conv"
    units: int


def layers(model: Any) -> list[Probe]:
    """The model's dense and convolution layers in order, with their unit counts."""
    from models_zoo.tf_env import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            found.append(Probe(layer.name, "dense", int(layer.units)))
        elif isinstance(layer, keras.layers.Conv2D):
            found.append(Probe(layer.name, "conv", int(layer.filters)))
    return found


def _probe(model: Any, layer_name: str) -> Probe:
    for probe in layers(model):
        if probe.name == layer_name:
            return probe
    names = ", ".join(p.name for p in layers(model))
    raise ValueError(f"layer_name: {layer_name!r} is no dense or convolution layer ({names})")


def _chosen(probe: Probe, units: Sequence[int] | None) -> list[int]:
    chosen = list(range(probe.units)) if units is None else [int(u) for u in units]
    if not chosen or any(not 0 <= u < probe.units for u in chosen):
        raise ValueError(f"units: each must be in 0..{probe.units - 1} for {probe.name!r}")
    return chosen


def _below(model: Any, layer: Any, shared: bool) -> Callable[[Any], Any]:
    """The input of ``layer`` as a function of the image; with ``shared`` (a sequential
    model with max pooling), tied maxima share the pooling gradient as in generation."""
    from models_zoo.pooling import apply_layer, has_pooling
    from models_zoo.tf_env import keras

    if shared and has_pooling(model):
        before = model.layers[: model.layers.index(layer)]

        def through(x: Any) -> Any:
            for lower in before:
                x = apply_layer(lower, x, True)
            return x

        return through
    sub = keras.Model(model.inputs[0], layer.input)
    return lambda x: sub(x, training=False)


def _scorer(model: Any, layer_name: str, shared: bool = False) -> Any:
    """A function from images ``(k, 28, 28, 1)`` to every unit's score ``(k, units)``."""
    from models_zoo.tf_env import keras, tf

    layer = model.get_layer(layer_name)
    below = _below(model, layer, shared)
    conv = isinstance(layer, keras.layers.Conv2D)

    def scores(x: Any) -> Any:
        h = below(x)
        if conv:
            pre = layer.convolution_op(h, layer.kernel)
        else:
            pre = tf.tensordot(h, layer.kernel, axes=[[len(h.shape) - 1], [0]])
        if layer.use_bias:
            pre = pre + layer.bias
        return tf.reduce_mean(pre, axis=[1, 2]) if conv else pre

    return scores


def unit_scores(
    model: Any, layer_name: str, images: np.ndarray, units: Sequence[int] | None = None
) -> np.ndarray:
    """The score ``maximize_units`` raises, of unit ``units[i]`` on ``images[i]``: ``(k,)``."""
    from models_zoo.tf_env import tf

    chosen = _chosen(_probe(model, layer_name), units)
    x = np.asarray(images, np.float32).reshape(len(chosen), SIDE, SIDE, 1)
    every = kept(model, f"units:{layer_name}", lambda: _scorer(model, layer_name))(tf.constant(x))
    return np.asarray(every)[np.arange(len(chosen)), chosen].astype(np.float64)


def _maximizer(model: Any, layer_name: str, shared: bool) -> Any:
    from models_zoo.tf_env import tf

    scores = _scorer(model, layer_name, shared)
    specs = [
        tf.TensorSpec([None, SIDE, SIDE, 1], tf.float32),
        tf.TensorSpec([None, None], tf.float32),
        tf.TensorSpec([], tf.int32),
        tf.TensorSpec([], tf.float32),
        tf.TensorSpec([], tf.bool),
    ]

    @tf.function(input_signature=specs)
    def maximize(x: Any, onehot: Any, steps: Any, step_size: Any, clip: Any) -> Any:
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(scores(x) * onehot)
            grad = tape.gradient(total, x)
            rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3], keepdims=True))
            x = x + step_size * grad / (rms + RMS_EPSILON)
            x = tf.where(clip, tf.clip_by_value(x, 0.0, 1.0), x)
        return x

    return maximize


def maximize_units(
    model: Any,
    layer_name: str,
    units: Sequence[int] | None = None,
    *,
    steps: int = UNIT_STEPS,
    step_size: float = UNIT_STEP_SIZE,
    start: str = "black",
    clip: bool = True,
    seed: int = 0,
    pool_gradient: str = "shared",
) -> np.ndarray:
    """One image per unit (every unit of the layer by default), ``(k, 28, 28)`` float32,
    from a ``start`` of ``"black"``, ``"white"``, ``"noise"`` or ``"noise_blur"`` (the
    random ones drawn from ``seed``, the same draw for every unit). ``pool_gradient`` is the
    run setting of that name: ``"shared"`` sends a tied max-pool window's gradient to every
    tied maximum (from a black start every window is tied), ``"single"`` to one."""
    from models_zoo.generation import initial_images
    from models_zoo.tf_env import tf

    probe = _probe(model, layer_name)
    chosen = _chosen(probe, units)
    if steps < 0 or step_size <= 0:
        raise ValueError("steps: at least 0, with a step_size above 0")
    if pool_gradient not in POOL_GRADIENTS:
        raise ValueError(f"pool_gradient: one of {POOL_GRADIENTS}, not {pool_gradient!r}")
    shared = pool_gradient == "shared"
    first = initial_images(start, 1, seed)
    x = np.repeat(first, len(chosen), axis=0)[..., np.newaxis]
    onehot = np.eye(probe.units, dtype=np.float32)[chosen]
    key = f"maximize:{layer_name}:{pool_gradient}"
    run = kept(model, key, lambda: _maximizer(model, layer_name, shared))
    out = run(tf.constant(x), tf.constant(onehot), steps, step_size, clip)
    return np.asarray(out)[..., 0].astype(np.float32)


def first_layer_weights(model: Any) -> np.ndarray:
    """The first weighted layer's weights: ``(units, 28, 28)`` for a dense layer on the
    pixels, ``(filters, kh, kw)`` (as they are) for a convolution on the one channel."""
    from models_zoo.tf_env import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel = np.asarray(layer.kernel)
            if kernel.shape[0] != SIDE * SIDE:
                raise ValueError(f"first dense layer {layer.name!r} does not take the pixels")
            return kernel.T.reshape(-1, SIDE, SIDE).astype(np.float32)
        if isinstance(layer, keras.layers.Conv2D):
            kernel = np.asarray(layer.kernel)
            if kernel.shape[2] != 1:
                raise ValueError(f"first convolution {layer.name!r} does not take one channel")
            return kernel[:, :, 0, :].transpose(2, 0, 1).astype(np.float32)
    raise ValueError(f"model {model.name!r} has no dense or convolution layer")


def feature_maps(model: Any, layer_name: str, image: np.ndarray) -> np.ndarray:
    """Layer ``layer_name``'s output for one image as ``(channels, height, width)``; a flat
    output (a dense layer's) comes as ``(units, 1, 1)``."""
    from models_zoo.tf_env import keras, tf

    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        raise ValueError(f"layer_name: no layer {layer_name!r} in {model.name!r}") from None
    below = kept(model, f"maps:{layer_name}", lambda: keras.Model(model.inputs[0], layer.output))
    x = np.asarray(image, np.float32).reshape(1, SIDE, SIDE, 1)
    out = np.asarray(below(tf.constant(x), training=False))[0]
    if out.ndim == 1:
        return out.reshape(-1, 1, 1).astype(np.float32)
    if out.ndim != 3:
        raise ValueError(f"layer_name: {layer_name!r} has an output of shape {out.shape}")
    return out.transpose(2, 0, 1).astype(np.float32)
