"""Class activation maximization for every member of a stacked network at once.

The same gradient ascent as ``models_zoo.generation`` (objective, jitter, total variation,
L2 decay, blur, clipping, the step normalised by each image's gradient RMS), on images
``[members, n, 28, 28, 1]``: member ``m``'s images only ever see member ``m``'s weights, and
each image is frozen once it reaches the threshold or the step cap, so each member's images
are those it would get alone. The loop runs in chunks as ``generation.generate`` does, and
a member's snapshots are taken at the same chunk boundaries as its lone run's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from models_zoo.config import RunConfig
from models_zoo.generation import (
    CHUNK,
    RMS_EPSILON,
    Generated,
    GenerationStopped,
    StepCallback,
    _blur_kernel,
    _total_variation,
)
from models_zoo.stacked_layers import StackedNet
from models_zoo.tf_env import tf


def structure(config: RunConfig) -> tuple[Any, ...]:
    """The settings that change a generator's graph."""
    return (
        config.objective,
        config.tv,
        config.l2,
        config.blur_every,
        config.jitter,
        config.clip,
        config.pool_gradient,
    )


def make_generator(net: StackedNet, config: RunConfig) -> Callable[..., Any]:
    """A compiled function that advances every member's unfinished images by up to
    ``budget`` steps."""
    use_logit = config.objective == "logit"
    tv_weight = float(config.tv)
    l2_decay = float(config.l2)
    blur_every = int(config.blur_every)
    jitter = int(config.jitter)
    clip = bool(config.clip)
    blur_kernel = _blur_kernel() if blur_every else None
    members = net.members
    tied_pool = config.pool_gradient == "shared"

    def folded(x: Any) -> Any:
        return tf.reshape(x, [-1, 28, 28, 1])

    def target_scores(x: Any, onehot: Any) -> tuple[Any, Any]:
        parts = [
            net.forward(p, x[a:b], False, tied_pool=tied_pool)
            for p, (a, b) in enumerate(net.bounds())
        ]
        logits = tf.concat(parts, 0) if len(parts) > 1 else parts[0]
        probability = tf.reduce_sum(tf.nn.softmax(logits) * onehot, axis=2)
        objective = tf.reduce_sum(logits * onehot, axis=2) if use_logit else probability
        return objective, probability

    def rolled(x: Any, shifts: list[Any], sign: int) -> Any:
        return tf.stack([tf.roll(x[m], sign * shifts[m], axis=[1, 2]) for m in range(members)])

    @tf.function
    def advance(
        x: Any,
        onehot: Any,
        steps: Any,
        budget: Any,
        cap: Any,
        seeds: Any,
        threshold: Any,
        step_size: Any,
    ) -> Any:
        def condition(i: Any, x: Any, steps: Any, any_active: Any) -> Any:
            return tf.logical_and(i < budget, any_active)

        def body(i: Any, x: Any, steps: Any, any_active: Any) -> tuple[Any, Any, Any, Any]:
            shifts: list[Any] = []
            if jitter:
                shifts = [
                    tf.random.stateless_uniform(
                        [2],
                        seed=tf.stack([seeds[m], i]),
                        minval=-jitter,
                        maxval=jitter + 1,
                        dtype=tf.int32,
                    )
                    for m in range(members)
                ]
            with tf.GradientTape() as tape:
                moved = rolled(x, shifts, 1) if jitter else x
                tape.watch(moved)
                objective, probability = target_scores(moved, onehot)
                if tv_weight:
                    variation = tf.reshape(_total_variation(folded(moved)), tf.shape(objective))
                    objective = objective - tv_weight * variation
                total = tf.reduce_sum(objective)
            grad = tape.gradient(total, moved)
            if jitter:
                grad = rolled(grad, shifts, -1)
                _, probability = target_scores(x, onehot)
            active = tf.logical_and(probability <= threshold, steps < cap)
            rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[2, 3, 4], keepdims=True))
            updated = x + step_size * grad / (rms + RMS_EPSILON)
            if l2_decay:
                updated = updated * (1.0 - l2_decay)
            if blur_every:
                blurred = tf.nn.conv2d(folded(updated), blur_kernel, strides=1, padding="SAME")
                blurred = tf.reshape(blurred, tf.shape(updated))
                due = tf.equal(tf.math.floormod(steps + 1, blur_every), 0)
                updated = tf.where(due[:, :, None, None, None], blurred, updated)
            if clip:
                updated = tf.clip_by_value(updated, 0.0, 1.0)
            x = tf.where(active[:, :, None, None, None], updated, x)
            steps = steps + tf.cast(active, tf.int32)
            return i + 1, x, steps, tf.reduce_any(active)

        loop = [tf.constant(0), x, steps, tf.constant(True)]
        _, x, steps, _ = tf.while_loop(condition, body, loop)
        _, probability = target_scores(x, onehot)
        return x, steps, probability

    return advance


def generate_stacked(
    advance: Callable[..., Any],
    n_classes: int,
    configs: Sequence[RunConfig],
    starts: Sequence[np.ndarray],
    targets: Sequence[int],
    on_step: StepCallback | None = None,
) -> list[Generated]:
    """Every member's images from its own start (``starts[m]``: ``[n, 28, 28]``), all
    optimised for ``targets``; one :class:`Generated` per member."""
    config = configs[0]
    members, n = len(configs), len(targets)
    x = tf.constant(np.stack([np.asarray(s, np.float32).reshape(n, 28, 28, 1) for s in starts]))
    onehot = tf.constant(np.eye(n_classes, dtype=np.float32)[list(targets)])
    steps = tf.zeros([members, n], tf.int32)
    threshold = tf.constant(config.threshold, tf.float32)
    step_size = tf.constant(config.step_size, tf.float32)
    cap = tf.constant(config.max_steps)
    seeds = tf.constant([c.seed % (2**31 - 1) for c in configs], tf.int32)
    chunk = config.snapshot_every or CHUNK
    images = np.asarray(x)[..., 0]
    snapshots = [[images[m]] for m in range(members)] if config.snapshot_every else None
    running = np.ones(members, bool)
    while True:
        x, steps, probability = advance(
            x, onehot, steps, tf.constant(chunk), cap, seeds, threshold, step_size
        )
        steps_now = np.asarray(steps)
        finished = (np.asarray(probability) > config.threshold) | (steps_now >= config.max_steps)
        member_done = finished.all(axis=1)
        if snapshots is not None:
            images = np.asarray(x)[..., 0]
            for row in np.flatnonzero(running & ~member_done):
                snapshots[row].append(images[row])
        running &= ~member_done
        if not running.any():
            break
        if on_step is not None and on_step(int(steps_now.max()), config.max_steps):
            raise GenerationStopped(f"stopped after {int(steps_now.max())} steps")
    final = np.asarray(x)[..., 0].astype(np.float32)
    probabilities = np.asarray(probability, dtype=np.float64)
    out = []
    for m in range(members):
        frames = None
        if snapshots is not None:
            if not np.array_equal(snapshots[m][-1], final[m]):
                snapshots[m].append(final[m])
            frames = np.stack(snapshots[m]).astype(np.float32)
        out.append(
            Generated(
                images=final[m],
                steps=steps_now[m].astype(np.int64),
                reached=probabilities[m] > config.threshold,
                probabilities=probabilities[m],
                snapshots=frames,
            )
        )
    return out
