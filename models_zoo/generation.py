"""Class activation maximization: gradient ascent on the input until the model is sure.

All N classes are optimised together as one batch in one compiled loop; a class that has
reached the threshold is frozen while the others go on, so the result for each class is the
same as optimising it alone. The loop runs in chunks so the caller sees progress (and can
take snapshots) between them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter

from models_zoo.config import RunConfig
from models_zoo.pooling import apply_layer, has_pooling
from models_zoo.streams import streams
from models_zoo.tf_env import tf
from models_zoo.training import split_forward, trunk_and_head

CHUNK = 250
RMS_EPSILON = 1e-5
BLUR_SIGMA = 1.0

StepCallback = Callable[[int, int], bool | None]


class GenerationStopped(Exception):
    """The step callback asked generation to stop."""


@dataclass(frozen=True, eq=False)
class Generated:
    images: np.ndarray  # (n, 28, 28) raw optimised images
    steps: np.ndarray  # (n,) updates applied to each image
    reached: np.ndarray  # (n,) bool: threshold reached within the cap
    probabilities: np.ndarray  # (n,) the target class's final probability
    snapshots: np.ndarray | None  # (s, n, 28, 28): the images every `snapshot_every` steps


KINDS = ("black", "white", "noise", "noise_blur")
RANDOM_KINDS = ("noise", "noise_blur")


def _draw(kind: str, n: int, rng: np.random.Generator | None) -> np.ndarray:
    shape = (n, 28, 28)
    if kind == "black":
        return np.zeros(shape, np.float32)
    if kind == "white":
        return np.ones(shape, np.float32)
    if kind not in RANDOM_KINDS:
        raise ValueError(f"unknown initial image {kind!r}")
    assert rng is not None
    noise = rng.uniform(0.0, 1.0, shape)
    if kind == "noise":
        return noise.astype(np.float32)
    return gaussian_filter(noise, sigma=(0, 1.0, 1.0)).astype(np.float32)


def initial_images(kind: str, n: int, seed: int) -> np.ndarray:
    """Starting images for ``n`` classes: black, white, noise or blurred noise (seeded)."""
    return _draw(kind, n, streams(seed).start if kind in RANDOM_KINDS else None)


def start_kinds(config: RunConfig) -> list[str]:
    """The initial-image kind of each of the ``diversity`` images per class. The first is
    the run's ``initial_image``. With ``diversity_starts="noise"`` the others are new draws
    of noise (of blurred noise when that is the initial image); with ``"kinds"`` they take
    the four kinds in turn from there, and past four only the random kinds come again (a
    second black or white start would give the same image)."""
    first = config.initial_image
    if config.diversity_starts == "kinds":
        turn = [KINDS[(KINDS.index(first) + j) % len(KINDS)] for j in range(len(KINDS))]
        again = [kind for kind in turn if kind in RANDOM_KINDS]
        return [*turn, *(again * config.diversity)][: config.diversity]
    other = first if first in RANDOM_KINDS else "noise"
    return [first, *[other] * (config.diversity - 1)]


def starting_batch(config: RunConfig, n_classes: int) -> tuple[np.ndarray, list[int]]:
    """The images generation starts from and the class each one is optimised for: one per
    class in class order, ``config.diversity`` times over. The first ``n_classes`` are the
    run's starts with one image per class; each further block draws on from the same start
    stream, so its noise is new."""
    rng = streams(config.seed).start
    blocks = [_draw(kind, n_classes, rng) for kind in start_kinds(config)]
    return np.concatenate(blocks), list(range(n_classes)) * config.diversity


def _blur_kernel() -> Any:
    radius = 3
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    weights = np.exp(-(offsets**2) / (2 * BLUR_SIGMA**2))
    weights /= weights.sum()
    kernel = np.outer(weights, weights).astype(np.float32)
    return tf.constant(kernel[:, :, np.newaxis, np.newaxis])


def _total_variation(x: Any) -> Any:
    dy = x[:, 1:, :, :] - x[:, :-1, :, :]
    dx = x[:, :, 1:, :] - x[:, :, :-1, :]
    return tf.reduce_sum(tf.abs(dy), axis=[1, 2, 3]) + tf.reduce_sum(tf.abs(dx), axis=[1, 2, 3])


def _tied_pool_forward(model: Any, trunk: list[Any], head: list[Any], x: Any) -> Any:
    """``split_forward`` at inference, with max pooling that sends its gradient to every
    tied maximum (``models_zoo.pooling``): the same logits, the prototype's gradient."""
    size = x.shape[0]
    if not trunk or size is None or size < 2:
        h = x
        for layer in model.layers:
            h = apply_layer(layer, h, True)
        return h
    half = (size + 1) // 2
    parts = [x[:half], x[half:]]
    for layer in trunk:
        parts = [apply_layer(layer, part, True) for part in parts]
    h = tf.concat(parts, axis=0)
    for layer in head:
        h = apply_layer(layer, h, True)
    return h


def make_generator(model: Any, n_classes: int, config: RunConfig) -> Callable[..., Any]:
    """A compiled function that advances every unfinished image by up to ``budget`` steps."""
    use_logit = config.objective == "logit"
    tv_weight = float(config.tv)
    l2_decay = float(config.l2)
    blur_every = int(config.blur_every)
    jitter = int(config.jitter)
    clip = bool(config.clip)
    blur_kernel = _blur_kernel() if blur_every else None
    trunk, head = trunk_and_head(model)
    tied_pool = config.pool_gradient == "shared" and has_pooling(model)

    def target_scores(x: Any, onehot: Any) -> tuple[Any, Any]:
        # The batch size is static here: the function is traced for each number of images.
        if tied_pool:
            logits = _tied_pool_forward(model, trunk, head, x)
        else:
            logits = split_forward(model, trunk, head, x, False)
        probability = tf.reduce_sum(tf.nn.softmax(logits) * onehot, axis=1)
        objective = tf.reduce_sum(logits * onehot, axis=1) if use_logit else probability
        return objective, probability

    @tf.function
    def advance(
        x: Any,
        onehot: Any,
        steps: Any,
        budget: Any,
        cap: Any,
        seed: Any,
        threshold: Any,
        step_size: Any,
    ) -> Any:
        # Each pass evaluates the current images once: the forward pass under the tape gives
        # both the gradient and the probability that decides whether an image is finished.
        def condition(i: Any, x: Any, steps: Any, any_active: Any) -> Any:
            return tf.logical_and(i < budget, any_active)

        def body(i: Any, x: Any, steps: Any, any_active: Any) -> tuple[Any, Any, Any, Any]:
            shift = tf.zeros([2], tf.int32)
            if jitter:
                shift = tf.random.stateless_uniform(
                    [2], seed=tf.stack([seed, i]), minval=-jitter, maxval=jitter + 1, dtype=tf.int32
                )
            with tf.GradientTape() as tape:
                moved = tf.roll(x, shift, axis=[1, 2]) if jitter else x
                tape.watch(moved)
                objective, probability = target_scores(moved, onehot)
                if tv_weight:
                    objective = objective - tv_weight * _total_variation(moved)
                total = tf.reduce_sum(objective)
            grad = tape.gradient(total, moved)
            if jitter:
                grad = tf.roll(grad, -shift, axis=[1, 2])
                _, probability = target_scores(x, onehot)
            active = tf.logical_and(probability <= threshold, steps < cap)
            rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3], keepdims=True))
            updated = x + step_size * grad / (rms + RMS_EPSILON)
            if l2_decay:
                updated = updated * (1.0 - l2_decay)
            if blur_every:
                blurred = tf.nn.conv2d(updated, blur_kernel, strides=1, padding="SAME")
                due = tf.equal(tf.math.floormod(steps + 1, blur_every), 0)
                updated = tf.where(due[:, None, None, None], blurred, updated)
            if clip:
                updated = tf.clip_by_value(updated, 0.0, 1.0)
            x = tf.where(active[:, None, None, None], updated, x)
            steps = steps + tf.cast(active, tf.int32)
            return i + 1, x, steps, tf.reduce_any(active)

        loop = [tf.constant(0), x, steps, tf.constant(True)]
        _, x, steps, _ = tf.while_loop(condition, body, loop)
        _, probability = target_scores(x, onehot)
        return x, steps, probability

    return advance


# Compiled generators kept between runs, each with its own copy of the model: tracing costs
# more than a whole generation for the MLP. Keyed by what changes the graph's structure.
_GENERATORS: OrderedDict[tuple[Any, ...], tuple[Any, Callable[..., Any]]] = OrderedDict()
_GENERATORS_LOCK = threading.RLock()
MAX_CACHED_GENERATORS = 6


def clear_cache() -> None:
    with _GENERATORS_LOCK:
        _GENERATORS.clear()


def _kept_generator(model: Any, n_classes: int, config: RunConfig) -> Callable[..., Any]:
    from models_zoo import architectures
    from models_zoo.training import copy_variables

    if model.name not in architectures.ARCHITECTURES:
        return make_generator(model, n_classes, config)
    structure: tuple[Any, ...] = (config.objective, config.tv, config.l2, config.blur_every)
    structure += (config.jitter, config.clip, config.pool_gradient)
    key = (architectures.shape_key(model.name, config), n_classes, *structure)
    with _GENERATORS_LOCK:
        kept = _GENERATORS.get(key)
        if kept is None:
            copy = architectures.build(model.name, n_classes, config)
            kept = (copy, make_generator(copy, n_classes, config))
            _GENERATORS[key] = kept
            while len(_GENERATORS) > MAX_CACHED_GENERATORS:
                _GENERATORS.popitem(last=False)
        _GENERATORS.move_to_end(key)
        copy_variables(model, kept[0])
        return kept[1]


def generate(
    model: Any,
    n_classes: int,
    config: RunConfig,
    *,
    start: np.ndarray | None = None,
    targets: list[int] | None = None,
    on_step: StepCallback | None = None,
) -> Generated:
    """Optimises one image per target class (all classes by default) as one batch."""
    with _GENERATORS_LOCK:  # the kept generator's model holds this call's weights throughout
        return _generate(model, n_classes, config, start, targets, on_step)


def one_more_step(
    model: Any, n_classes: int, config: RunConfig, images: np.ndarray, targets: list[int]
) -> np.ndarray:
    """Each image after one more update towards its target class, whatever its probability:
    the 2016 prototype checked the threshold on the image before the update and stopped
    only after applying that update."""
    n = len(targets)
    if n == 0:
        return np.asarray(images, np.float32)
    with _GENERATORS_LOCK:
        advance = _kept_generator(model, n_classes, config)
        x, _, _ = advance(
            tf.constant(np.asarray(images, np.float32).reshape(n, 28, 28, 1)),
            tf.constant(np.eye(n_classes, dtype=np.float32)[targets]),
            tf.zeros([n], tf.int32),
            tf.constant(1),
            tf.constant(1),
            tf.constant(config.seed % (2**31 - 1)),
            tf.constant(2.0),  # above any probability: every image moves
            tf.constant(config.step_size, tf.float32),
        )
    return np.asarray(x)[..., 0].astype(np.float32)


def _generate(
    model: Any,
    n_classes: int,
    config: RunConfig,
    start: np.ndarray | None,
    targets: list[int] | None,
    on_step: StepCallback | None,
) -> Generated:
    targets = list(range(n_classes)) if targets is None else targets
    n = len(targets)
    if start is None:
        start = initial_images(config.initial_image, n_classes, config.seed)[targets]
    x = tf.constant(np.asarray(start, np.float32).reshape(n, 28, 28, 1))
    onehot = tf.constant(np.eye(n_classes, dtype=np.float32)[targets])
    steps = tf.zeros([n], tf.int32)
    advance = _kept_generator(model, n_classes, config)
    threshold = tf.constant(config.threshold, tf.float32)
    step_size = tf.constant(config.step_size, tf.float32)
    chunk = config.snapshot_every or CHUNK
    snapshots = [np.asarray(x)[..., 0]] if config.snapshot_every else None
    cap = tf.constant(config.max_steps)
    seed = tf.constant(config.seed % (2**31 - 1))
    done = 0
    while True:
        x, steps, probability = advance(
            x, onehot, steps, tf.constant(chunk), cap, seed, threshold, step_size
        )
        steps_now = np.asarray(steps)
        finished = (np.asarray(probability) > config.threshold) | (steps_now >= config.max_steps)
        if snapshots is not None and not np.all(finished):
            snapshots.append(np.asarray(x)[..., 0])
        done = int(steps_now.max())
        if np.all(finished):
            break
        if on_step is not None and on_step(done, config.max_steps):
            raise GenerationStopped(f"stopped after {done} steps")
    if snapshots is not None:
        final = np.asarray(x)[..., 0]
        if not np.array_equal(snapshots[-1], final):
            snapshots.append(final)
    probabilities = np.asarray(probability, dtype=np.float64)
    return Generated(
        images=np.asarray(x)[..., 0].astype(np.float32),
        steps=np.asarray(steps).astype(np.int64),
        reached=probabilities > config.threshold,
        probabilities=probabilities,
        snapshots=None if snapshots is None else np.stack(snapshots).astype(np.float32),
    )
