"""Several sequential models of one architecture as one network with a leading member axis.

A sweep's members share their layers and differ in their weights. Stacked, member ``m``'s
weights are row ``m`` of each variable, its data is row ``m`` of each tensor
(``[members, batch, ...]``), and each layer is one op for all members: a dense layer is a
batched matrix product, a convolution gathers its patches with shifted slices and is one
batched product too (im2col), pooling and activations see the members folded into the batch.

The members may be split into *parts*, each with variables and ops of its own. Nothing joins
two parts until the loss is summed, so with one thread per op (``models_zoo.tf_env``) the
executor runs the parts on different cores at once.

:func:`layer_plans` reads a Keras ``Sequential`` model's layers; a model with a layer it does
not know (or a setting of one, such as strides) gets ``None``, and its runs are made one
after another instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models_zoo.pooling import tied_max_pool
from models_zoo.tf_env import keras, tf


@dataclass(frozen=True)
class LayerPlan:
    """One layer of a stacked network: what it does and the names of its weights."""

    kind: str  # "dense", "conv", "pool", "dropout", "flatten" or "gap"
    activation: Callable[[Any], Any] | None = None
    size: int = 0  # a convolution's kernel side, a pooling window's side
    padding: str = "valid"
    rate: float = 0.0  # dropout
    weights: tuple[str, ...] = ()  # "kernel", "bias"

    def signature(self) -> tuple[Any, ...]:
        name = getattr(self.activation, "__name__", None)
        return (self.kind, name, self.size, self.padding, self.rate, self.weights)


def _weights(layer: Any) -> tuple[str, ...]:
    return ("kernel", "bias") if layer.use_bias else ("kernel",)


def _plan_for(layer: Any) -> LayerPlan | None:
    layers = keras.layers
    if isinstance(layer, layers.Dense):
        return LayerPlan("dense", layer.activation, weights=_weights(layer))
    if isinstance(layer, layers.Conv2D) and type(layer) is layers.Conv2D:
        square = layer.kernel_size[0] == layer.kernel_size[1]
        plain = tuple(layer.strides) == (1, 1) and tuple(layer.dilation_rate) == (1, 1)
        if not (square and plain and layer.groups == 1 and layer.padding in ("valid", "same")):
            return None
        if layer.data_format != "channels_last":
            return None
        return LayerPlan(
            "conv",
            layer.activation,
            size=layer.kernel_size[0],
            padding=layer.padding,
            weights=_weights(layer),
        )
    if isinstance(layer, layers.MaxPooling2D):
        size = layer.pool_size[0]
        even = tuple(layer.pool_size) == (size, size) and tuple(layer.strides) == (size, size)
        if not even or layer.padding != "valid" or layer.data_format != "channels_last":
            return None
        return LayerPlan("pool", size=size)
    if isinstance(layer, layers.Dropout):
        if layer.noise_shape is not None:
            return None
        return LayerPlan("dropout", rate=float(layer.rate))
    if isinstance(layer, layers.Flatten):
        return LayerPlan("flatten")
    if isinstance(layer, layers.GlobalAveragePooling2D):
        if layer.keepdims or layer.data_format != "channels_last":
            return None
        return LayerPlan("gap")
    return None


def layer_plans(model: Any) -> list[LayerPlan] | None:
    """The stacked form of a sequential model's layers, or ``None`` if it has none."""
    if not isinstance(model, keras.Sequential):
        return None
    plans = [_plan_for(layer) for layer in model.layers]
    if not plans or any(plan is None for plan in plans):
        return None
    return [plan for plan in plans if plan is not None]


def read_weights(model: Any, plans: Sequence[LayerPlan]) -> list[np.ndarray]:
    """A model's weights in the stacked network's order."""
    out: list[np.ndarray] = []
    for layer, plan in zip(model.layers, plans, strict=True):
        out.extend(np.asarray(getattr(layer, name).numpy()) for name in plan.weights)
    return out


def write_weights(model: Any, plans: Sequence[LayerPlan], values: Sequence[np.ndarray]) -> None:
    """Puts one member's weights (in the stacked network's order) into a Keras model."""
    targets = [
        getattr(layer, name)
        for layer, plan in zip(model.layers, plans, strict=True)
        for name in plan.weights
    ]
    for target, value in zip(targets, values, strict=True):
        target.assign(value)


def _conv(h: Any, kernel: Any, size: int, padding: str) -> Any:
    """A stride-1 convolution of each member's images with its own kernel: the patches of
    all members' images as rows, one batched product ``[m, b*h*w, k*k*c] @ [m, k*k*c, f]``."""
    if padding == "same":
        low = (size - 1) // 2
        high = size - 1 - low
        h = tf.pad(h, [[0, 0], [0, 0], [low, high], [low, high], [0, 0]])
    members, batch, height, width, channels = h.shape
    if members == 1:  # one member: the library's own convolution
        alone = tf.reshape(kernel, kernel.shape[1:])  # a view: no copy of the weights
        out = tf.nn.conv2d(tf.reshape(h, h.shape[1:]), alone, strides=1, padding="VALID")
        return out[tf.newaxis]
    out_h, out_w = height - size + 1, width - size + 1
    if channels == 1 and size * size <= 16:
        # One channel: the patches are few; stacking them on a new last axis is cheapest.
        shifted = [
            h[:, :, dy : dy + out_h, dx : dx + out_w, 0] for dy in range(size) for dx in range(size)
        ]
        patches = tf.stack(shifted, axis=-1)
    else:
        shifted = [
            h[:, :, dy : dy + out_h, dx : dx + out_w, :] for dy in range(size) for dx in range(size)
        ]
        patches = tf.concat(shifted, axis=-1)
    rows = tf.reshape(patches, [members, batch * out_h * out_w, size * size * channels])
    weights = tf.reshape(kernel, [members, size * size * channels, kernel.shape[-1]])
    out = tf.matmul(rows, weights)
    return tf.reshape(out, [members, batch, out_h, out_w, kernel.shape[-1]])


def _pool(h: Any, size: int, tied: bool) -> Any:
    members, batch = h.shape[0], h.shape[1]
    folded = tf.reshape(h, [members * batch, *h.shape[2:]])
    pooled = tied_max_pool(folded, size) if tied else tf.nn.max_pool2d(folded, size, size, "VALID")
    return tf.reshape(pooled, [members, batch, *pooled.shape[1:]])


def _dropout(h: Any, rate: float, seed: Any) -> Any:
    keep = tf.random.stateless_uniform(tf.shape(h), seed=seed) >= rate
    return tf.where(keep, h / (1.0 - rate), tf.zeros_like(h))


class StackedNet:
    """The variables of ``members`` models split into parts, and the stacked forward pass.

    ``parts`` lists how many members each part holds (in member order)."""

    def __init__(
        self, plans: Sequence[LayerPlan], shapes: Sequence[tuple[int, ...]], parts: Sequence[int]
    ) -> None:
        self.plans = list(plans)
        self.parts = list(parts)
        self.members = sum(self.parts)
        self.variables = [
            [tf.Variable(tf.zeros([size, *shape])) for shape in shapes] for size in self.parts
        ]

    @property
    def flat_variables(self) -> list[Any]:
        return [v for part in self.variables for v in part]

    def bounds(self) -> list[tuple[int, int]]:
        """Each part's first and one-past-last member."""
        edges = np.cumsum([0, *self.parts])
        return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]

    def load(self, weights: Sequence[Sequence[np.ndarray]]) -> None:
        """``weights[m]`` is member ``m``'s list of arrays, in ``read_weights`` order."""
        for (first, last), variables in zip(self.bounds(), self.variables, strict=True):
            for index, variable in enumerate(variables):
                variable.assign(np.stack([weights[m][index] for m in range(first, last)]))

    def member_weights(self) -> list[list[np.ndarray]]:
        out: list[list[np.ndarray]] = []
        for variables in self.variables:
            values = [v.numpy() for v in variables]
            out.extend([value[row] for value in values] for row in range(values[0].shape[0]))
        return out

    def forward(
        self, part: int, h: Any, training: bool, seed: Any = None, tied_pool: bool = False
    ) -> Any:
        """Logits ``[m, b, classes]`` of part ``part``'s members for images ``[m, b, 28, 28, 1]``.
        ``seed`` (two int32) seeds dropout; dropout is off without ``training``. With
        ``tied_pool``, max pooling sends its gradient to every tied maximum
        (``models_zoo.pooling``); the values are the same."""
        variables = iter(self.variables[part])
        for index, plan in enumerate(self.plans):
            kind = plan.kind
            weights = {name: next(variables) for name in plan.weights}
            if kind == "flatten":
                h = tf.reshape(h, [h.shape[0], h.shape[1], -1])
            elif kind == "dense":
                kernel = weights["kernel"]
                if kernel.shape[0] == 1:
                    alone = tf.reshape(kernel, kernel.shape[1:])  # a view, not a copy
                    h = tf.matmul(tf.reshape(h, h.shape[1:]), alone)[tf.newaxis]
                else:
                    h = tf.matmul(h, kernel)
            elif kind == "conv":
                h = _conv(h, weights["kernel"], plan.size, plan.padding)
            elif kind == "pool":
                h = _pool(h, plan.size, tied_pool)
            elif kind == "gap":
                h = tf.reduce_mean(h, axis=[2, 3])
            elif kind == "dropout":
                if training and plan.rate > 0:
                    h = _dropout(h, plan.rate, seed + tf.constant([0, 7919], tf.int32) * index)
                continue
            if "bias" in weights:
                bias = weights["bias"]
                h = h + tf.reshape(bias, [bias.shape[0]] + [1] * (len(h.shape) - 2) + [-1])
            if plan.activation is not None:
                h = plan.activation(h)
        return h
