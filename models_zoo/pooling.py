"""Max pooling whose gradient reaches every tied maximum, as in the paper's prototype.

TensorFlow's max-pool gradient sends a window's whole gradient to a single element, even
when several elements equal the window's maximum. The prototype behind the paper's figures
ran Keras on Theano, whose max-pool gradient adds the window's gradient to *every* element
equal to the maximum. From a black (or white) start every 2 x 2 window of the CNN is a
four-way tie at the first step of image generation, so the two rules give different first
steps: TensorFlow's stamps a stride-2 grid on the image. After the step normalisation
(division by the gradient's RMS) it does not matter whether a tied window's gradient is
copied to each maximum (Theano) or split among them, as long as every window is tied the
same way, as it is on a constant image; this module copies it, as Theano did.

The forward pass is the same as ``MaxPooling2D`` with ``pool_size == strides`` and
``"valid"`` padding: a maximum over non-overlapping windows, rows and columns past the last
whole window dropped.
"""

from __future__ import annotations

from typing import Any

from models_zoo.tf_env import keras, tf


def tied_max_pool(h: Any, size: int) -> Any:
    """``[batch, height, width, channels]`` to ``[batch, height // size, width // size,
    channels]``; the gradient of each window goes whole to every element equal to its max."""
    height, width, channels = h.shape[1], h.shape[2], h.shape[3]
    rows, cols = height // size, width // size
    if rows * size != height or cols * size != width:
        h = h[:, : rows * size, : cols * size, :]

    @tf.custom_gradient
    def pool(x: Any) -> Any:
        windows = tf.reshape(x, [-1, rows, size, cols, size, channels])
        top = tf.reduce_max(windows, axis=[2, 4], keepdims=True)

        def grad(upstream: Any) -> Any:
            tied = tf.cast(tf.equal(windows, top), upstream.dtype)
            spread = tied * tf.reshape(upstream, [-1, rows, 1, cols, 1, channels])
            return tf.reshape(spread, tf.shape(x))

        return tf.reshape(top, [-1, rows, cols, channels]), grad

    return pool(h)


def poolable(layer: Any) -> int:
    """The window side of a ``MaxPooling2D`` layer this module can stand in for (square
    windows, stride equal to the window, valid padding, channels last), else 0."""
    if not isinstance(layer, keras.layers.MaxPooling2D):
        return 0
    size = int(layer.pool_size[0])
    square = tuple(layer.pool_size) == (size, size) and tuple(layer.strides) == (size, size)
    plain = layer.padding == "valid" and layer.data_format == "channels_last"
    return size if square and plain else 0


def apply_layer(layer: Any, h: Any, shared: bool) -> Any:
    """One layer of a sequential model at inference (dropout off); with ``shared``, a max
    pooling layer sends its gradient to every tied maximum."""
    size = poolable(layer) if shared else 0
    if size:
        return tied_max_pool(h, size)
    return layer(h, training=False)


def has_pooling(model: Any) -> bool:
    """Whether a sequential model has a max pooling layer ``apply_layer`` replaces."""
    return isinstance(model, keras.Sequential) and any(poolable(layer) for layer in model.layers)
