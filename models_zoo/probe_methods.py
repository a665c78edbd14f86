"""The probe's other attribution methods and a layer's feature maps, in numpy.

``models_zoo.attribution`` computes SmoothGrad, integrated gradients, Grad-CAM and occlusion
in TensorFlow on the workers; the live probe runs in the web process, which never loads
TensorFlow, so these are the same methods on a ``probe.Network``, with the same conventions
(gradients of the class **logit**; occlusion on the class **probability**; see
``models_zoo.attribution``). The maps equal the worker's on the same stored model to within
float32 rounding (tests/models_zoo/test_probe_methods.py), but for SmoothGrad's noise: it is
drawn from numpy's generator, not TensorFlow's, so the same seed gives other noisy copies;
the map is the mean logit gradient over the copies it draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models_zoo import attribution
from models_zoo.architectures import Layer
from models_zoo.probe import _BACKWARD, _FORWARD, Network, _images, _one_blas_thread

METHODS = attribution.METHODS
SIDE = attribution.SIDE


def _check_class(network: Network, class_index: int) -> None:
    if not 0 <= int(class_index) < network.n_classes:
        raise ValueError(f"class_index must be from 0 to {network.n_classes - 1}")


def _logit_gradients(network: Network, x: np.ndarray, class_index: int) -> np.ndarray:
    """``(batch, 28, 28)``: each image's gradient of the class logit."""
    _, tape = network._run(x, keep=True)
    upstream = np.zeros((len(x), network.n_classes))
    upstream[:, class_index] = 1.0
    return network._back(tape, upstream, False).reshape(-1, SIDE, SIDE)


def noisy_copies(
    pixels: Any,
    *,
    seed: int = 0,
    samples: int = attribution.SMOOTHGRAD_SAMPLES,
    noise: float = attribution.SMOOTHGRAD_NOISE,
) -> np.ndarray:
    """``(samples, 28, 28)``: the image plus Gaussian noise of standard deviation ``noise``
    times its range (1 for a constant image), drawn from ``seed``."""
    if samples < 1 or noise < 0:
        raise ValueError("samples: at least 1, with noise >= 0")
    x, _ = _images(pixels, batch=False)
    image = x.reshape(SIDE, SIDE)
    spread = float(image.max() - image.min())
    sd = noise * (spread if spread > 0 else 1.0)
    draws = np.random.default_rng(seed).standard_normal((samples, SIDE, SIDE))
    return image[None] + sd * draws


def smoothgrad(network: Network, pixels: Any, class_index: int, **options: Any) -> np.ndarray:
    _check_class(network, class_index)
    copies = noisy_copies(pixels, **options)
    with _one_blas_thread():
        return _logit_gradients(network, copies[..., None], class_index).mean(axis=0)


def integrated_gradients(
    network: Network, pixels: Any, class_index: int, *, steps: int = attribution.IG_STEPS
) -> np.ndarray:
    _check_class(network, class_index)
    if steps < 1:
        raise ValueError("steps: at least 1")
    x, _ = _images(pixels, batch=False)
    alphas = (np.arange(steps) + 0.5) / steps
    with _one_blas_thread():
        gradients = _logit_gradients(network, alphas[:, None, None, None] * x, class_index)
    return x.reshape(SIDE, SIDE) * gradients.mean(axis=0)


def occlusion(
    network: Network,
    pixels: Any,
    class_index: int,
    *,
    patch: int = attribution.OCCLUSION_PATCH,
    stride: int = attribution.OCCLUSION_STRIDE,
) -> np.ndarray:
    _check_class(network, class_index)
    x, _ = _images(pixels, batch=False)
    image = x.reshape(SIDE, SIDE)
    masks = attribution.occlusion_masks(patch, stride).astype(np.float64)
    base = network.forward(image)[class_index]
    hidden = network.forward(image[None] * (1.0 - masks))[:, class_index]
    total = np.tensordot(base - hidden, masks, axes=1)
    return total / masks.sum(axis=0)


def has_convolution(network: Network) -> bool:
    return any(layer.kind == "conv2d" for layer in network.plan)


def grad_cam(network: Network, pixels: Any, class_index: int) -> np.ndarray:
    """``relu(sum_c w_c A_c)`` on the last convolution, ``w_c`` the spatial mean of the
    logit's gradient on channel ``c``, placed on the 28 x 28 grid as the worker places it."""
    _check_class(network, class_index)
    convolutions = [i for i, layer in enumerate(network.plan) if layer.kind == "conv2d"]
    if not convolutions:
        raise ValueError(f"method: grad_cam needs a convolution layer; {network.architecture}")
    last = convolutions[-1]
    x, _ = _images(pixels, batch=False)
    with _one_blas_thread():
        _, tape = network._run(x, keep=True)
        maps = tape[last][0]  # the convolution's output, (1, h, w, c)
        g = np.zeros((1, network.n_classes))
        g[0, class_index] = 1.0
        after = zip(
            network.plan[last + 1 :], network.weights[last + 1 :], tape[last + 1 :], strict=True
        )
        for layer, params, saved in reversed(list(after)):
            g = _BACKWARD[layer.kind](layer, params, saved, g, False)
    weights = g.mean(axis=(1, 2), keepdims=True)
    cam = np.maximum((weights * maps).sum(axis=-1), 0.0)[0]
    geometry = _receptive_centres(network.plan[: last + 1], cam.shape)
    rows = attribution._interpolation(cam.shape[0], *geometry[0]).astype(np.float64)
    cols = attribution._interpolation(cam.shape[1], *geometry[1]).astype(np.float64)
    return rows @ cam @ cols.T


def _receptive_centres(plan: tuple[Layer, ...], size: tuple[int, int]) -> list[tuple[float, float]]:
    """``(offset, spacing)`` per axis of the last layer of ``plan``, as
    ``attribution._receptive_centres`` follows a Keras model (both axes are square here)."""
    offset, spacing = 0.0, 1.0
    for layer in plan:
        if layer.kind == "conv2d":
            kernel, step = layer.kernel, layer.strides
            if layer.padding == "same":
                if step != 1 or kernel % 2 == 0:
                    break
                kernel = 1
        elif layer.kind == "max_pooling2d":
            kernel, step = layer.size, layer.size
        elif layer.kind == "dropout":
            continue
        else:
            break
        offset += (kernel - 1) / 2 * spacing
        spacing *= step
    else:
        return [(offset, spacing), (offset, spacing)]
    return [((SIDE / s - 1) / 2, SIDE / s) for s in size]


def attribute(network: Network, pixels: Any, class_index: int, method: str) -> np.ndarray:
    """One method's ``(28, 28)`` map of ``pixels`` for ``class_index`` (not ``saliency``,
    which the probe reads with the probabilities)."""
    if method == "smoothgrad":
        return smoothgrad(network, pixels, class_index)
    if method == "integrated_gradients":
        return integrated_gradients(network, pixels, class_index)
    if method == "occlusion":
        return occlusion(network, pixels, class_index)
    if method == "grad_cam":
        return grad_cam(network, pixels, class_index)
    raise ValueError(f"method: unknown attribution method {method!r}; known: {METHODS}")


def layer_names(plan: tuple[Layer, ...]) -> list[tuple[str, int]]:
    """The plan's dense, convolution and max-pooling layers as ``(name, place in plan)``:
    ``conv_1``, ``pool_1``, ``dense_1``, ... and ``logits`` for the last dense layer (the
    names the run page's unit images use for dense and convolution layers)."""
    last_dense = max(i for i, layer in enumerate(plan) if layer.kind == "dense")
    counts = {"conv2d": 0, "dense": 0, "max_pooling2d": 0}
    prefixes = {"conv2d": "conv", "dense": "dense", "max_pooling2d": "pool"}
    found = []
    for place, layer in enumerate(plan):
        if layer.kind not in counts:
            continue
        if place == last_dense:
            found.append(("logits", place))
            continue
        counts[layer.kind] += 1
        found.append((f"{prefixes[layer.kind]}_{counts[layer.kind]}", place))
    return found


def feature_maps(network: Network, pixels: Any, layer: str) -> np.ndarray:
    """The output of layer ``layer`` (a name of ``layer_names``) for one image: ``(c, h, w)``
    for a convolution or pooling, ``(k,)`` for a dense layer."""
    places = dict(layer_names(network.plan))
    if layer not in places:
        raise ValueError(f"layer: unknown layer {layer!r}; known: {', '.join(places)}")
    x, _ = _images(pixels, batch=False)
    with _one_blas_thread():
        for kind, params in zip(network.plan[: places[layer] + 1], network.weights, strict=False):
            x, _ = _FORWARD[kind.kind](kind, params, x)
    out = x[0]
    return out.transpose(2, 0, 1) if out.ndim == 3 else out
