"""Attribution maps: which pixels of an input a model's score for a class rests on.

Five methods, each a ``(n, 28, 28)`` float32 map per image, computed for all images and
their classes at once in one compiled function per method and model (the classes go in as
a one-hot tensor and the counts as tensors, so new images, classes, seeds or sample counts
reuse the graph):

- ``saliency``: the gradient of the class's **logit** with respect to the input (signed).
- ``smoothgrad``: the mean of that gradient over ``samples`` (25) noisy copies of the input,
  Gaussian noise of standard deviation ``noise`` (0.15) times the image's range (max - min;
  1 for a constant image), drawn from ``seed`` (signed).
- ``integrated_gradients``: ``x * mean_k grad(alpha_k * x)``, the logit's gradient along the
  straight path from a **black** baseline (all zeros) to the image at ``steps`` (32) midpoints
  ``alpha_k = (k + 0.5) / steps``; the map sums to about ``logit(x) - logit(black)``. A black
  pixel gets no attribution, whatever its part in the decision (signed).
- ``grad_cam``: on the last ``Conv2D`` layer, ``relu(sum_c w_c A_c)`` with ``w_c`` the
  spatial mean of the logit's gradient on channel ``c``, placed back on the 28 x 28 grid by
  linear interpolation at each cell's receptive-field centre (non-negative by definition;
  only for models with a convolution).
- ``occlusion``: a ``patch`` x ``patch`` (4 x 4) black square slid with ``stride`` 2; each
  pixel gets the mean, over the squares covering it, of the drop in the class's
  **probability** when the square is blacked out (signed: negative where hiding a pixel
  raises the probability). Black pixels give no drop: blacking them out changes nothing.

TensorFlow is imported inside the functions, so ``METHODS`` and ``region_share`` can be
read without it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from models_zoo.highlight import region_share as _share_of_values

METHODS = ("saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion")
SMOOTHGRAD_SAMPLES = 25
SMOOTHGRAD_NOISE = 0.15
IG_STEPS = 32
OCCLUSION_PATCH = 4
OCCLUSION_STRIDE = 2
SIDE = 28


def region_share(attribution: np.ndarray, mask: np.ndarray) -> float | None:
    """Share of the map's absolute attribution inside ``mask`` (pixels above 0.5); None
    for a map that is zero everywhere."""
    return _share_of_values(np.abs(np.asarray(attribution, np.float64)), mask)


# Compiled functions kept per model (the model held with them, so its id stays its own);
# a few models at most, like generation's kept generators.
_KEPT: OrderedDict[tuple[int, str], tuple[Any, Any]] = OrderedDict()
_KEPT_LOCK = threading.Lock()
MAX_KEPT = 12


def kept(model: Any, key: str, build: Callable[[], Any]) -> Any:
    """``build()`` once per model and key; the latest few are kept."""
    with _KEPT_LOCK:
        entry = _KEPT.get((id(model), key))
        if entry is None or entry[0] is not model:
            entry = (model, build())
            _KEPT[(id(model), key)] = entry
            while len(_KEPT) > MAX_KEPT:
                _KEPT.popitem(last=False)
        _KEPT.move_to_end((id(model), key))
        return entry[1]


def clear_cache() -> None:
    with _KEPT_LOCK:
        _KEPT.clear()


def attribute(
    model: Any,
    images: np.ndarray,
    class_indices: Sequence[int],
    method: str,
    *,
    seed: int = 0,
    samples: int = SMOOTHGRAD_SAMPLES,
    noise: float = SMOOTHGRAD_NOISE,
    steps: int = IG_STEPS,
    patch: int = OCCLUSION_PATCH,
    stride: int = OCCLUSION_STRIDE,
) -> np.ndarray:
    """One map per image for its class (``class_indices[i]`` for ``images[i]``), ``(n, 28,
    28)`` float32. ``model`` returns logits; ``seed`` only matters for ``smoothgrad``."""
    from models_zoo.tf_env import tf

    if method not in METHODS:
        raise ValueError(f"method: unknown attribution method {method!r}; known: {METHODS}")
    x = np.asarray(images, np.float32)
    if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE) or x.shape[0] == 0:
        raise ValueError(f"images: expected an array of shape (n, 28, 28), got {x.shape}")
    targets = [int(c) for c in class_indices]
    n_classes = int(model.output_shape[-1])
    if len(targets) != x.shape[0]:
        raise ValueError(f"class_indices: {len(targets)} classes for {x.shape[0]} images")
    if any(not 0 <= c < n_classes for c in targets):
        raise ValueError(f"class_indices: each must be in 0..{n_classes - 1}, got {targets}")
    tx = tf.constant(x[..., np.newaxis])
    onehot = tf.constant(np.eye(n_classes, dtype=np.float32)[targets])
    if method == "saliency":
        out = kept(model, "saliency", lambda: _saliency(model))(tx, onehot)
    elif method == "smoothgrad":
        if samples < 1 or noise < 0:
            raise ValueError("samples: at least 1, with noise >= 0")
        run = kept(model, "smoothgrad", lambda: _smoothgrad(model))
        out = run(tx, onehot, tf.constant(seed % (2**31 - 1)), tf.constant(samples), noise)
    elif method == "integrated_gradients":
        if steps < 1:
            raise ValueError("steps: at least 1")
        out = kept(model, "ig", lambda: _integrated_gradients(model))(tx, onehot, steps)
    elif method == "grad_cam":
        out = kept(model, "grad_cam", lambda: _grad_cam(model))(tx, onehot)
    else:
        masks = tf.constant(occlusion_masks(patch, stride)[..., np.newaxis])
        out = kept(model, "occlusion", lambda: _occlusion(model))(tx, onehot, masks)
    return np.asarray(out).reshape(-1, SIDE, SIDE).astype(np.float32)


def _specs() -> list[Any]:
    from models_zoo.tf_env import tf

    return [
        tf.TensorSpec([None, SIDE, SIDE, 1], tf.float32),
        tf.TensorSpec([None, None], tf.float32),
    ]


def _logit_gradient(model: Any) -> Callable[[Any, Any], Any]:
    """The input gradient of each image's class logit (images are independent at inference,
    so the gradient of the batch's sum is each image's own)."""
    from models_zoo.tf_env import tf

    def gradient(x: Any, onehot: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = tf.reduce_sum(model(x, training=False) * onehot)
        return tape.gradient(score, x)

    return gradient


def _saliency(model: Any) -> Any:
    from models_zoo.tf_env import tf

    return tf.function(_logit_gradient(model), input_signature=_specs())


def _smoothgrad(model: Any) -> Any:
    from models_zoo.tf_env import tf

    gradient = _logit_gradient(model)
    scalars = [tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32)]

    @tf.function(input_signature=[*_specs(), *scalars, tf.TensorSpec([], tf.float32)])
    def smoothgrad(x: Any, onehot: Any, seed: Any, samples: Any, noise: Any) -> Any:
        spread = tf.reduce_max(x, axis=[1, 2, 3], keepdims=True) - tf.reduce_min(
            x, axis=[1, 2, 3], keepdims=True
        )
        sd = noise * tf.where(spread > 0.0, spread, tf.ones_like(spread))
        total = tf.zeros_like(x)
        for i in tf.range(samples):
            draw = tf.random.stateless_normal(tf.shape(x), seed=tf.stack([seed, i]))
            total += gradient(x + sd * draw, onehot)
        return total / tf.cast(samples, tf.float32)

    return smoothgrad


def _integrated_gradients(model: Any) -> Any:
    from models_zoo.tf_env import tf

    gradient = _logit_gradient(model)

    @tf.function(input_signature=[*_specs(), tf.TensorSpec([], tf.int32)])
    def integrated(x: Any, onehot: Any, steps: Any) -> Any:
        total = tf.zeros_like(x)
        count = tf.cast(steps, tf.float32)
        for k in tf.range(steps):
            alpha = (tf.cast(k, tf.float32) + 0.5) / count
            total += gradient(alpha * x, onehot)
        return x * total / count

    return integrated


def occlusion_masks(patch: int, stride: int) -> np.ndarray:
    """``(m, 28, 28)``: 1 on each occluding square. The squares step by ``stride`` from the
    top left; a last row and column flush with the edge are added where the steps miss it."""
    if not 1 <= patch <= SIDE or stride < 1:
        raise ValueError(f"patch: 1..{SIDE} with stride >= 1, got {patch} and {stride}")
    starts = list(range(0, SIDE - patch + 1, stride))
    if starts[-1] != SIDE - patch:
        starts.append(SIDE - patch)
    masks = np.zeros((len(starts) ** 2, SIDE, SIDE), np.float32)
    for index, (top, left) in enumerate((t, s) for t in starts for s in starts):
        masks[index, top : top + patch, left : left + patch] = 1.0
    return masks


def _occlusion(model: Any) -> Any:
    from models_zoo.tf_env import tf

    def probability(x: Any, onehot: Any) -> Any:
        return tf.reduce_sum(tf.nn.softmax(model(x, training=False)) * onehot, axis=1)

    mask_spec = tf.TensorSpec([None, SIDE, SIDE, 1], tf.float32)

    @tf.function(input_signature=[*_specs(), mask_spec])
    def occlusion(x: Any, onehot: Any, masks: Any) -> Any:
        # One square at a time over the whole batch: memory stays that of one batch.
        base = probability(x, onehot)
        total = tf.zeros_like(x)
        for m in tf.range(tf.shape(masks)[0]):
            square = masks[m]
            drop = base - probability(x * (1.0 - square), onehot)
            total += drop[:, None, None, None] * square
        return total / tf.reduce_sum(masks, axis=0)

    return occlusion


def last_convolution(model: Any) -> Any:
    """The model's last ``Conv2D`` layer, or None."""
    from models_zoo.tf_env import keras

    found = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    return found[-1] if found else None


def _grad_cam(model: Any) -> Any:
    from models_zoo.tf_env import keras, tf

    layer = last_convolution(model)
    if layer is None:
        raise ValueError(
            f"method: grad_cam needs a convolution layer; model {model.name!r} has none"
        )
    both = keras.Model(model.inputs[0], [layer.output, model.outputs[0]])
    rows, cols = (tf.constant(m) for m in placement(model, layer))

    @tf.function(input_signature=_specs())
    def grad_cam(x: Any, onehot: Any) -> Any:
        with tf.GradientTape() as tape:
            maps, logits = both(x, training=False)
            score = tf.reduce_sum(logits * onehot)
        weights = tf.reduce_mean(tape.gradient(score, maps), axis=[1, 2], keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))
        return tf.einsum("yh,nhw,xw->nyx", rows, cam, cols)

    return grad_cam


def placement(model: Any, layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """Matrices ``(28, h)`` and ``(28, w)`` that carry a map on ``layer``'s output grid to
    the input's pixels: each input pixel takes the linear interpolation between the two
    cells whose receptive-field centres surround it (the nearest edge cell past the ends)."""
    height, width = int(layer.output.shape[1]), int(layer.output.shape[2])
    geometry = _receptive_centres(model, layer)
    return _interpolation(height, *geometry[0]), _interpolation(width, *geometry[1])


def _receptive_centres(model: Any, target: Any) -> list[tuple[float, float]]:
    """``(offset, spacing)`` per axis: cell ``i`` of ``target``'s output is centred on input
    pixel ``offset + i * spacing``. Convolutions and poolings of a sequential model are
    followed exactly; anything else falls back to spreading the cells evenly."""
    from models_zoo.tf_env import keras

    axes = [[0.0, 1.0], [0.0, 1.0]]
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D | keras.layers.MaxPooling2D):
            kernel, step = _window(layer)
            if kernel is None:
                break
            for axis in (0, 1):
                axes[axis][0] += (kernel[axis] - 1) / 2 * axes[axis][1]
                axes[axis][1] *= step[axis]
        elif tuple(layer.input.shape[1:3]) != tuple(layer.output.shape[1:3]):
            break
        if layer is target:
            return [(a[0], a[1]) for a in axes]
    size = target.output.shape[1:3]
    return [((SIDE / s - 1) / 2, SIDE / s) for s in size]


def _window(layer: Any) -> tuple[Any, Any]:
    """The effective window and step of a convolution or pooling, or ``(None, None)`` where
    its placement is not followed (a strided "same" padding shifts by an uneven margin)."""
    from models_zoo.tf_env import keras

    if isinstance(layer, keras.layers.Conv2D):
        size = [
            (k - 1) * d + 1 for k, d in zip(layer.kernel_size, layer.dilation_rate, strict=True)
        ]
        step = list(layer.strides)
    else:
        size, step = list(layer.pool_size), list(layer.strides)
    if layer.data_format != "channels_last":
        return None, None
    if layer.padding == "same":
        if step != [1, 1] or any(s % 2 == 0 for s in size):
            return None, None
        size = [1, 1]
    return size, step


def _interpolation(cells: int, offset: float, spacing: float) -> np.ndarray:
    matrix = np.zeros((SIDE, cells), np.float32)
    for pixel in range(SIDE):
        u = min(max((pixel - offset) / spacing, 0.0), cells - 1.0)
        low = int(np.floor(u))
        high = min(low + 1, cells - 1)
        matrix[pixel, low] += 1.0 - (u - low)
        matrix[pixel, high] += u - low
    return matrix
