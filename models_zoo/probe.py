"""A stored model's forward and backward pass in numpy, for the live probe.

The probe shows, while a person draws, a trained model's class probabilities and the
saliency of the drawing. It runs in the web process, which must never load TensorFlow
(it would cost seconds at start-up and most of a gigabyte, and TensorFlow in a process that
forks hangs its children; see docs/ml-core.md). So this module reads the run's
``.weights.h5`` file with h5py and computes the model's layers by hand, in float64, from the
layer plan each architecture declares beside its builder (``architectures.plan``). The
probabilities equal TensorFlow's to within 1e-5 and the saliency equals
``tf.GradientTape``'s gradient (tests/models_zoo/test_probe.py checks both for every
architecture).

Loaded networks are kept per file, hash and shape, so a stroke costs only the arithmetic.
A file is loaded only after its SHA-256 matches the one recorded when it was written, the
rule ``models_zoo.persistence`` applies.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from models_zoo import architectures
from models_zoo.architectures import INPUT_SHAPE, Layer

# How a max-pool window's gradient goes back: to the window's first maximum in row-major order
# (TensorFlow's kernel, so ``tf.GradientTape`` on the stored model gives the same saliency),
# or whole to every tied maximum (the paper's prototype, ``models_zoo.pooling``). The names
# are those of the run setting ``pool_gradient``.
POOL_GRADIENTS = ("single", "shared")
# What the saliency differentiates: the class probability (after softmax) or its logit.
OBJECTIVES = ("probability", "logit")
# Loaded networks are dropped, least recently used first, beyond this many bytes of weights.
CACHE_BYTES = 256 * 2**20

Shape = tuple[int, ...]


class ProbeError(Exception):
    """A weights file is missing, altered, or does not fit the architecture."""


@dataclass(frozen=True)
class Reading:
    """What the probe shows for one drawing."""

    probabilities: np.ndarray  # (n_classes,)
    class_index: int  # the class the saliency is for
    saliency: np.ndarray  # (28, 28): d(objective) / d(pixel)


class Network:
    """A model's layers and weights as numpy arrays; see ``load``."""

    def __init__(
        self, architecture: str, plan: tuple[Layer, ...], weights: list[tuple[Any, Any] | None]
    ) -> None:
        self.architecture = architecture
        self.plan = plan
        self.weights = weights  # per layer: (kernel, bias) in float64, or None
        self.n_classes = int(plan[-1].size)
        self.nbytes = sum(k.nbytes + b.nbytes for k, b in filter(None, weights))

    def forward(self, pixels: Any) -> np.ndarray:
        """Class probabilities of one 28x28 image (``(n_classes,)``) or of a batch of them
        (``(batch, n_classes)``), with dropout off."""
        x, single = _images(pixels, batch=True)
        with _one_blas_thread():
            logits, _ = self._run(x, keep=False)
        probabilities = _softmax(logits)
        return probabilities[0] if single else probabilities

    def saliency(
        self,
        pixels: Any,
        class_index: int,
        *,
        objective: str = "probability",
        pool_gradient: str = "single",
    ) -> np.ndarray:
        """The gradient of class ``class_index``'s probability (or logit) with respect to
        each pixel of one 28x28 image, as a 28x28 array."""
        return self.read(
            pixels, class_index, objective=objective, pool_gradient=pool_gradient
        ).saliency

    def read(
        self,
        pixels: Any,
        class_index: int | None = None,
        *,
        objective: str = "probability",
        pool_gradient: str = "single",
    ) -> Reading:
        """Probabilities and saliency of one image from one forward pass; the saliency is for
        ``class_index``, or for the most probable class when it is None."""
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
        if pool_gradient not in POOL_GRADIENTS:
            raise ValueError(f"pool_gradient must be one of {', '.join(POOL_GRADIENTS)}")
        x, _ = _images(pixels, batch=False)
        with _one_blas_thread():
            return self._read(x, class_index, objective, pool_gradient == "shared")

    def _read(
        self, x: np.ndarray, class_index: int | None, objective: str, shared: bool
    ) -> Reading:
        logits, tape = self._run(x, keep=True)
        probabilities = _softmax(logits)[0]
        if class_index is None:
            class_index = int(np.argmax(probabilities))
        if isinstance(class_index, bool) or not isinstance(class_index, int | np.integer):
            raise ValueError("class_index must be a whole number")
        if not 0 <= class_index < self.n_classes:
            raise ValueError(f"class_index must be from 0 to {self.n_classes - 1}")
        chosen = np.zeros((1, self.n_classes))
        chosen[0, class_index] = 1.0
        if objective == "probability":
            # d p_c / d z_j = p_c (1[j = c] - p_j)
            upstream = probabilities[class_index] * (chosen - probabilities[None, :])
        else:
            upstream = chosen
        gradient = self._back(tape, upstream, shared)
        return Reading(probabilities, int(class_index), gradient.reshape(INPUT_SHAPE[:2]))

    def _run(self, x: np.ndarray, *, keep: bool) -> tuple[np.ndarray, list[Any]]:
        tape: list[Any] = []
        for layer, params in zip(self.plan, self.weights, strict=True):
            x, saved = _FORWARD[layer.kind](layer, params, x)
            if keep:
                tape.append(saved)
        return x, tape

    def _back(self, tape: list[Any], upstream: np.ndarray, shared: bool) -> np.ndarray:
        g = upstream
        for layer, params, saved in zip(
            reversed(self.plan), reversed(self.weights), reversed(tape), strict=True
        ):
            g = _BACKWARD[layer.kind](layer, params, saved, g, shared)
        return g


_blas_lock = threading.Lock()
_blas: list[Any] = []  # the thread pool controller, made on first use


def _one_blas_thread() -> Any:
    """A context in which numpy's BLAS runs on one thread. The products here are small (a
    few hundred rows): spread over threads they cost more in hand-over than they save, and
    on a busy machine each waits for every thread's core (measured on two busy cores: the
    paper CNN's forward pass took 56 ms at the median with two threads, 1.7 ms with one).
    The limit is process-wide while it lasts; the web process does no other numeric work."""
    with _blas_lock:
        if not _blas:
            from threadpoolctl import ThreadpoolController

            _blas.append(ThreadpoolController())
    return _blas[0].limit(limits=1, user_api="blas")


def _images(pixels: Any, *, batch: bool) -> tuple[np.ndarray, bool]:
    """``pixels`` as a float64 ``[batch, 28, 28, 1]`` array, and whether it was one image."""
    x = np.asarray(pixels, dtype=np.float64)
    height, width, _ = INPUT_SHAPE
    single = x.shape in ((height, width), INPUT_SHAPE)
    batched = batch and x.ndim in (3, 4) and x.shape[1:3] == (height, width)
    if not single and not (batched and (x.ndim == 3 or x.shape[3] == 1) and len(x)):
        shapes = "28 x 28" if not batch else "28 x 28, or a non-empty batch of 28 x 28 images"
        raise ValueError(f"pixels must be {shapes}, not {' x '.join(map(str, x.shape))}")
    if not np.isfinite(x).all():
        raise ValueError("pixels must be finite numbers")
    return x.reshape(-1, height, width, 1), single


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


# Each layer kind: a forward step ``(layer, params, x) -> (y, saved)`` and a backward step
# ``(layer, params, saved, dy, shared) -> dx``; ``saved`` is what the backward step needs.


def _activate(activation: str, z: np.ndarray) -> np.ndarray:
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    return z


def _activation_back(activation: str, y: np.ndarray, g: np.ndarray) -> np.ndarray:
    if activation == "relu":
        return g * (y > 0)  # TensorFlow's rule: no gradient where the output is exactly 0
    if activation == "tanh":
        return g * (1.0 - y * y)
    return g


def _dense(layer: Layer, params: Any, x: np.ndarray) -> tuple[np.ndarray, Any]:
    kernel, bias = params
    y = _activate(layer.activation, x @ kernel + bias)
    return y, y


def _dense_back(layer: Layer, params: Any, y: Any, g: np.ndarray, shared: bool) -> np.ndarray:
    return _activation_back(layer.activation, y, g) @ params[0].T


def _padding(layer: Layer, size: int) -> tuple[int, int, int]:
    """Output size and the padding before and after along one axis, as TensorFlow pads."""
    if layer.padding == "valid":
        return (size - layer.kernel) // layer.strides + 1, 0, 0
    out = -(-size // layer.strides)
    total = max((out - 1) * layer.strides + layer.kernel - size, 0)
    return out, total // 2, total - total // 2


def _conv2d(layer: Layer, params: Any, x: np.ndarray) -> tuple[np.ndarray, Any]:
    kernel, bias = params
    k, s = layer.kernel, layer.strides
    rows, top, bottom = _padding(layer, x.shape[1])
    cols, left, right = _padding(layer, x.shape[2])
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    # im2col: every k x k window as a row ordered (kernel row, kernel column, channel),
    # the order of Keras' kernel ``[k, k, in, out]``.
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
    windows = windows[:, : s * (rows - 1) + 1 : s, : s * (cols - 1) + 1 : s]
    columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, k * k * x.shape[3])
    z = columns @ kernel.reshape(-1, kernel.shape[3]) + bias
    y = _activate(layer.activation, z).reshape(len(x), rows, cols, kernel.shape[3])
    return y, (y, padded.shape, (top, left), x.shape)


def _conv2d_back(layer: Layer, params: Any, saved: Any, g: np.ndarray, shared: bool) -> Any:
    kernel, _ = params
    y, padded_shape, (top, left), x_shape = saved
    k, s = layer.kernel, layer.strides
    batch, rows, cols, filters = y.shape
    g = _activation_back(layer.activation, y, g).reshape(-1, filters)
    columns = (g @ kernel.reshape(-1, filters).T).reshape(batch, rows, cols, k, k, x_shape[3])
    # col2im: each kernel offset adds its share back onto the windows it read.
    dx = np.zeros(padded_shape)
    for i in range(k):
        for j in range(k):
            dx[:, i : i + s * (rows - 1) + 1 : s, j : j + s * (cols - 1) + 1 : s] += columns[
                :, :, :, i, j
            ]
    return dx[:, top : top + x_shape[1], left : left + x_shape[2]]


def _windows(layer: Layer, x: np.ndarray) -> np.ndarray:
    """``[batch, rows, cols, channels, p * p]``: each pooling window's elements in row-major
    order; rows and columns past the last whole window are dropped, as Keras does."""
    p = layer.size
    batch, height, width, channels = x.shape
    rows, cols = height // p, width // p
    cropped = x[:, : rows * p, : cols * p]
    blocks = cropped.reshape(batch, rows, p, cols, p, channels).transpose(0, 1, 3, 5, 2, 4)
    return blocks.reshape(batch, rows, cols, channels, p * p)


def _max_pool(layer: Layer, params: Any, x: np.ndarray) -> tuple[np.ndarray, Any]:
    windows = _windows(layer, x)
    return windows.max(axis=-1), (windows, x.shape)


def _max_pool_back(layer: Layer, params: Any, saved: Any, g: np.ndarray, shared: bool) -> Any:
    windows, x_shape = saved
    if shared:
        to = (windows == windows.max(axis=-1, keepdims=True)).astype(np.float64)
    else:
        to = np.zeros_like(windows)
        np.put_along_axis(to, windows.argmax(axis=-1)[..., None], 1.0, axis=-1)
    spread = to * g[..., None]
    batch, rows, cols, channels, _ = windows.shape
    p = layer.size
    blocks = spread.reshape(batch, rows, cols, channels, p, p).transpose(0, 1, 4, 2, 5, 3)
    dx = np.zeros(x_shape)
    dx[:, : rows * p, : cols * p] = blocks.reshape(batch, rows * p, cols * p, channels)
    return dx


def _flatten(layer: Layer, params: Any, x: np.ndarray) -> tuple[np.ndarray, Any]:
    return x.reshape(len(x), -1), x.shape


def _flatten_back(layer: Layer, params: Any, shape: Any, g: np.ndarray, shared: bool) -> Any:
    return g.reshape(shape)


def _average(layer: Layer, params: Any, x: np.ndarray) -> tuple[np.ndarray, Any]:
    return x.mean(axis=(1, 2)), x.shape


def _average_back(layer: Layer, params: Any, shape: Any, g: np.ndarray, shared: bool) -> Any:
    return np.broadcast_to(g[:, None, None, :] / (shape[1] * shape[2]), shape)


def _identity(layer: Layer, params: Any, x: np.ndarray) -> tuple[np.ndarray, Any]:
    return x, None


def _identity_back(layer: Layer, params: Any, saved: Any, g: np.ndarray, shared: bool) -> Any:
    return g


_FORWARD = {
    "dense": _dense,
    "conv2d": _conv2d,
    "max_pooling2d": _max_pool,
    "flatten": _flatten,
    "global_average_pooling2d": _average,
    "dropout": _identity,
}
_BACKWARD = {
    "dense": _dense_back,
    "conv2d": _conv2d_back,
    "max_pooling2d": _max_pool_back,
    "flatten": _flatten_back,
    "global_average_pooling2d": _average_back,
    "dropout": _identity_back,
}
_ACTIVATIONS = ("linear", "relu", "tanh")


def _check_plan(architecture: str, plan: tuple[Layer, ...]) -> list[tuple[Shape, Shape] | None]:
    """The kernel and bias shapes each layer of ``plan`` needs on a 28x28x1 input, checking
    the plan holds only what this module computes and ends in the logits."""
    shape: Shape = INPUT_SHAPE
    needs: list[tuple[Shape, Shape] | None] = []
    for layer in plan:
        if layer.kind not in _FORWARD or layer.activation not in _ACTIVATIONS:
            raise ProbeError(f"{architecture}: the probe cannot run a {layer.kind} layer")
        if layer.kind == "conv2d":
            if layer.padding not in ("valid", "same") or len(shape) != 3:
                raise ProbeError(f"{architecture}: the probe cannot run this convolution")
            rows, _, _ = _padding(layer, shape[0])
            cols, _, _ = _padding(layer, shape[1])
            needs.append(((layer.kernel, layer.kernel, shape[2], layer.size), (layer.size,)))
            shape = (rows, cols, layer.size)
        elif layer.kind == "dense":
            if len(shape) != 1:
                raise ProbeError(f"{architecture}: a dense layer needs a flat input")
            needs.append(((shape[0], layer.size), (layer.size,)))
            shape = (layer.size,)
        else:
            needs.append(None)
            if layer.kind == "max_pooling2d":
                shape = (shape[0] // layer.size, shape[1] // layer.size, shape[2])
            elif layer.kind == "flatten":
                shape = (int(np.prod(shape)),)
            elif layer.kind == "global_average_pooling2d":
                shape = (shape[2],)
    last = plan[-1] if plan else None
    if last is None or last.kind != "dense" or last.activation != "linear":
        raise ProbeError(f"{architecture}: the plan must end in a linear dense layer (logits)")
    return needs


def _group_names(plan: tuple[Layer, ...]) -> list[str]:
    """The group Keras 3 writes each layer's weights under: ``layers/<kind>`` for the first
    layer of a kind, then ``layers/<kind>_1``, ``layers/<kind>_2``, ... in the model's order."""
    seen: dict[str, int] = {}
    names = []
    for layer in plan:
        count = seen.get(layer.kind, 0)
        seen[layer.kind] = count + 1
        names.append(layer.kind if count == 0 else f"{layer.kind}_{count}")
    return names


def _read_weights(
    data: bytes, architecture: str, plan: tuple[Layer, ...]
) -> list[tuple[Any, Any] | None]:
    import h5py  # only where a file is read: the web process starts without it

    needs = _check_plan(architecture, plan)
    names = _group_names(plan)
    weights: list[tuple[Any, Any] | None] = []
    misfit = f"the weights file does not fit a {architecture} model"
    try:
        with h5py.File(io.BytesIO(data), "r") as handle:
            groups = handle["layers"]
            if sorted(groups) != sorted(names):
                raise ProbeError(f"{misfit}: it holds layers {', '.join(sorted(groups))}")
            for name, need in zip(names, needs, strict=True):
                stored = groups[name]["vars"]
                if need is None:
                    if len(stored):
                        raise ProbeError(f"{misfit}: layer {name} has weights")
                    weights.append(None)
                    continue
                if sorted(stored) != ["0", "1"]:
                    raise ProbeError(f"{misfit}: layer {name} holds {len(stored)} arrays")
                kernel, bias = (np.asarray(stored[key], dtype=np.float64) for key in ("0", "1"))
                kernel.setflags(write=False)  # shared by every request that uses the network
                bias.setflags(write=False)
                if (kernel.shape, bias.shape) != need:
                    raise ProbeError(
                        f"{misfit}: layer {name} is {kernel.shape}, {bias.shape}, not {need}"
                    )
                weights.append((kernel, bias))
    except ProbeError:
        raise
    except Exception as error:  # h5py raises many types for a damaged or foreign file
        raise ProbeError(f"{misfit}: {error}") from None
    return weights


def sha256_of_bytes(data: bytes) -> str:
    """The SHA-256 ``persistence.sha256_of`` records for a file with these contents."""
    return hashlib.sha256(data).hexdigest()


# (real path, sha256, architecture, class count, shape) -> (file identity, network)
_cache: OrderedDict[tuple[Any, ...], tuple[tuple[int, int, int], Network]] = OrderedDict()
_cache_lock = threading.Lock()


def load(
    path: str | os.PathLike[str],
    *,
    model: str,
    n_classes: int,
    sha256: str,
    sizes: architectures.Sizes = None,
) -> Network:
    """The network a run's ``.weights.h5`` file holds, refusing a file whose SHA-256 is not
    ``sha256`` or whose arrays do not fit architecture ``model`` of ``n_classes`` classes and
    shape ``sizes`` (a run configuration or a stored one; missing settings take defaults).

    A network is kept after its first load: later calls with the same file, hash and shape
    cost a ``stat`` of the file, and the file is read and checked again only if it changed.
    """
    try:
        plan = architectures.plan(model, n_classes, sizes)
    except KeyError as error:
        raise ProbeError(str(error.args[0])) from None
    real = os.path.realpath(path)
    key = (real, sha256, model, n_classes, plan)
    try:
        status = os.stat(real)
    except OSError as error:
        raise ProbeError(f"cannot read the weights file: {error.strerror or error}") from None
    identity = (status.st_ino, status.st_size, status.st_mtime_ns)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None and found[0] == identity:
            _cache.move_to_end(key)
            return found[1]
    try:
        with open(real, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ProbeError(f"cannot read the weights file: {error.strerror or error}") from None
    # The hash is of the very bytes loaded, so a file replaced in between cannot slip through.
    if sha256_of_bytes(data) != sha256:
        raise ProbeError("the weights file does not match its recorded SHA-256; it was altered")
    network = Network(model, plan, _read_weights(data, model, plan))
    with _cache_lock:
        _cache[key] = (identity, network)
        _cache.move_to_end(key)
        while len(_cache) > 1 and sum(n.nbytes for _, n in _cache.values()) > CACHE_BYTES:
            _cache.popitem(last=False)
    return network


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
