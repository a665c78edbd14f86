"""A sweep group's members trained as one stacked computation.

Members of a group share every setting but the seed. Each still starts from its own initial
weights (``seed_everything(seed)`` then ``architectures.build``, as ``pipeline.run`` does),
trains on its own data in its own batch order, and generates from its own starting images;
the weights, data and images of all members are stacked on a leading member axis
(``models_zoo.stacked_layers``) and one compiled loop does every member's step at once.
The optimizer is the same fused kernel as a lone run's, applied to the stacked variables
(its math is element by element, so every member gets exactly its own update).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from models_zoo.config import RunConfig
from models_zoo.data import Dataset
from models_zoo.stacked_layers import StackedNet
from models_zoo.streams import streams
from models_zoo.tf_env import tf
from models_zoo.training import (
    CHUNK_SECONDS,
    MAX_CHUNK,
    TrainingOutcome,
    TrainingStopped,
    _Optimizer,
    run_epochs,
)

# How a group's members are laid out (measured in bench/bench_sweeps.py and the docs): a
# network with convolutions gives each member a part of its own (the library's convolution
# on a whole batch beats one batched product over all members' patches), a dense-only one
# puts the members in two parts of batched matrix products. Parts run WAVE at a time, one
# per core.
WAVE = 2
DENSE_PARTS = 2

EpochsCallback = Callable[[int, list[dict[str, float]]], bool | None]


def parts_for(members: int, has_conv: bool) -> list[int]:
    """How many members each part of the stacked network holds."""
    if has_conv:
        return [1] * members
    count = min(DENSE_PARTS, members)
    base, extra = divmod(members, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def apply_updates(optimizer: _Optimizer, grads: list[Any]) -> list[Any]:
    """``optimizer``'s fused update of each of its variables, as a lone run applies it; the
    update ops, for control dependencies."""
    return optimizer.apply(grads)


class StackedTrainGraph:
    """A stacked network and its compiled training function for one data shape."""

    def __init__(
        self,
        net: StackedNet,
        shape: tuple[int, int, int, int],
        optimizer: str,
        rrr: bool,
        wave: int = WAVE,
    ) -> None:
        n_classes, n_train, n_val, batch = shape
        self.net = net
        self.optimizers = [_Optimizer(optimizer, variables) for variables in net.variables]
        self.wave = wave
        self.rrr_lambda = tf.Variable(0.0, trainable=False)
        self.dropout_seed = tf.Variable(0, dtype=tf.int32, trainable=False)
        self.counter = tf.Variable(0, dtype=tf.int32, trainable=False)
        self.rrr = rrr
        self.n = n_train
        self.batch = batch
        self.has_val = n_val > 0
        # Compiled image generators on this network, by generation.structure(config).
        self.generators: dict[tuple[Any, ...], Callable[..., Any]] = {}

        def zeros(size: int, rows: int, *tail: int) -> Any:
            return tf.Variable(tf.zeros([size, rows, *tail]), trainable=False)

        self.data = [
            {
                "x": zeros(size, n_train, 28, 28, 1),
                "y": zeros(size, n_train, n_classes),
                "m": zeros(size, n_train, 28, 28, 1),
                "x_val": zeros(size, max(n_val, 1), 28, 28, 1),
                "y_val": zeros(size, max(n_val, 1), n_classes),
            }
            for size in net.parts
        ]
        members = net.members
        self.run_epochs = tf.function(
            self._run_epochs,
            input_signature=[tf.TensorSpec([None, members, n_train], tf.int32)],
        )

    def _loss(self, part: int, xb: Any, yb: Any, mb: Any, seed: Any) -> tuple[Any, Any]:
        """Each member's loss ``[m]`` and logits for one part's batch."""
        forward = self.net.forward
        if not self.rrr:
            logits = forward(part, xb, True, seed)
            return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, logits), 1), logits
        with tf.GradientTape() as input_tape:
            input_tape.watch(xb)
            logits = forward(part, xb, True, seed)
            log_probs = tf.reduce_sum(tf.nn.log_softmax(logits))
        input_grads = input_tape.gradient(log_probs, xb)
        cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, logits), 1)
        penalty = tf.reduce_mean(tf.reduce_sum(tf.square(mb * input_grads), axis=[2, 3, 4]), 1)
        return cross_entropy + self.rrr_lambda * penalty, logits

    def _step(self, batches: list[tuple[Any, Any, Any]]) -> tuple[Any, Any]:
        counter = self.counter.assign_add(1)
        losses, hits = [], []
        previous: list[Any] = []
        for start in range(0, len(batches), self.wave):
            # A wave's parts start once the previous wave's updates are written, so only a
            # wave's weights and optimizer slots are in use (and in the caches) at a time.
            with tf.control_dependencies(previous):
                updates = []
                for part in range(start, min(start + self.wave, len(batches))):
                    xb, yb, mb = batches[part]
                    seed = tf.stack([self.dropout_seed + part, counter])
                    with tf.GradientTape() as tape:
                        loss, logits = self._loss(part, xb, yb, mb, seed)
                        total = tf.reduce_sum(loss)
                    variables = self.net.variables[part]
                    grads = tape.gradient(total, variables)
                    updates.extend(apply_updates(self.optimizers[part], grads))
                    losses.append(loss)
                    correct = tf.equal(tf.argmax(logits, 2), tf.argmax(yb, 2))
                    hits.append(tf.reduce_sum(tf.cast(correct, tf.float32), 1))
            previous = updates
        with tf.control_dependencies(previous):
            return tf.concat(losses, 0), tf.concat(hits, 0)

    def _one_epoch(self, orders: Any) -> Any:
        n, batch = self.n, self.batch
        full_batches, remainder = divmod(n, batch)
        shuffled = []
        for (first, last), data in zip(self.net.bounds(), self.data, strict=True):
            order = orders[first:last]
            shuffled.append([tf.gather(data[key], order, batch_dims=1) for key in ("x", "y", "m")])
        total_loss = tf.zeros([self.net.members])
        total_correct = tf.zeros([self.net.members])

        def batches(part: slice, size: int | None) -> list[tuple[Any, Any, Any]]:
            out = []
            for tensors in shuffled:
                cut = [t[:, part] for t in tensors]
                if size is not None:
                    cut = [tf.ensure_shape(t, [t.shape[0], size, *t.shape[2:]]) for t in cut]
                out.append((cut[0], cut[1], cut[2]))
            return out

        for i in tf.range(full_batches):
            loss, correct = self._step(batches(slice(i * batch, (i + 1) * batch), batch))
            total_loss += loss * batch
            total_correct += correct
        if remainder:
            loss, correct = self._step(batches(slice(full_batches * batch, None), None))
            total_loss += loss * remainder
            total_correct += correct
        zeros = tf.zeros([self.net.members])
        val_loss, val_accuracy = zeros, zeros
        if self.has_val:
            losses, accuracies = [], []
            for part, data in enumerate(self.data):
                logits = self.net.forward(part, data["x_val"], False)
                entropy = tf.nn.softmax_cross_entropy_with_logits(data["y_val"], logits)
                losses.append(tf.reduce_mean(entropy, 1))
                hits = tf.equal(tf.argmax(logits, 2), tf.argmax(data["y_val"], 2))
                accuracies.append(tf.reduce_mean(tf.cast(hits, tf.float32), 1))
            val_loss, val_accuracy = tf.concat(losses, 0), tf.concat(accuracies, 0)
        return tf.stack([total_loss / n, total_correct / n, val_loss, val_accuracy], axis=1)

    def _run_epochs(self, orders: Any) -> Any:
        return run_epochs(self._one_epoch, orders)

    def load(
        self,
        weights: Sequence[Sequence[np.ndarray]],
        sets: Sequence[tuple[Dataset, Dataset | None]],
        config: RunConfig,
    ) -> None:
        self.net.load(weights)
        for each in self.optimizers:
            each.reset(config.effective_learning_rate)
        self.rrr_lambda.assign(float(config.highlight_lambda))
        self.dropout_seed.assign(int(config.seed % (2**30)))
        self.counter.assign(0)
        for (first, last), data in zip(self.net.bounds(), self.data, strict=True):
            chosen = sets[first:last]
            data["x"].assign(np.stack([t.x for t, _ in chosen]))
            data["y"].assign(np.stack([t.y for t, _ in chosen]))
            masks = [
                t.irrelevant if t.irrelevant is not None else np.zeros_like(t.x) for t, _ in chosen
            ]
            data["m"].assign(np.stack(masks))
            if self.has_val:
                data["x_val"].assign(np.stack([v.x for _, v in chosen if v is not None]))
                data["y_val"].assign(np.stack([v.y for _, v in chosen if v is not None]))


def train_stacked(
    graph: StackedTrainGraph,
    configs: Sequence[RunConfig],
    on_epochs: EpochsCallback | None = None,
) -> list[TrainingOutcome]:
    """Trains every member; the callback gets each epoch's figures per member."""
    n = graph.n
    epochs = configs[0].epochs
    per_member = []
    for config in configs:
        rng = streams(config.seed).order
        per_member.append(np.stack([rng.permutation(n) for _ in range(epochs)]))
    orders = np.stack(per_member, axis=1).astype(np.int32)  # [epochs, members, n]
    keys = ("loss", "accuracy", "val_loss", "val_accuracy")
    outcomes = [TrainingOutcome(history={key: [] for key in keys}) for _ in configs]
    chunk, epoch = 1, 0
    while epoch < epochs:
        began = time.perf_counter()
        rows = graph.run_epochs(tf.constant(orders[epoch : epoch + chunk])).numpy()
        elapsed = time.perf_counter() - began
        for row in rows:
            epoch += 1
            figures = []
            for outcome, values in zip(outcomes, row, strict=True):
                metrics = {"loss": float(values[0]), "accuracy": float(values[1])}
                if graph.has_val:
                    metrics["val_loss"] = float(values[2])
                    metrics["val_accuracy"] = float(values[3])
                for key, value in metrics.items():
                    outcome.history[key].append(value)
                outcome.epochs_run = epoch
                figures.append(metrics)
            if on_epochs is not None and on_epochs(epoch, figures):
                raise TrainingStopped(f"stopped after epoch {epoch}")
        if epoch > 1:
            per_epoch = elapsed / len(rows)
            chunk = max(1, min(MAX_CHUNK, int(CHUNK_SECONDS / max(per_epoch, 1e-6))))
    for outcome in outcomes:
        if not outcome.history["val_loss"]:
            del outcome.history["val_loss"], outcome.history["val_accuracy"]
        last = {key: values[-1] for key, values in outcome.history.items()}
        outcome.loss = last.get("loss")
        outcome.accuracy = last.get("accuracy")
        outcome.val_loss = last.get("val_loss")
        outcome.val_accuracy = last.get("val_accuracy")
    return outcomes


_GRAPHS: OrderedDict[tuple[Any, ...], StackedTrainGraph] = OrderedDict()
LOCK = threading.RLock()
MAX_CACHED_GRAPHS = 4


def clear_cache() -> None:
    with LOCK:
        _GRAPHS.clear()


def graph_for(key: tuple[Any, ...], build: Callable[[], StackedTrainGraph]) -> StackedTrainGraph:
    """The kept graph for ``key``, or a new one (kept; the oldest beyond the limit dropped)."""
    with LOCK:
        graph = _GRAPHS.get(key)
        if graph is None:
            graph = build()
            _GRAPHS[key] = graph
            while len(_GRAPHS) > MAX_CACHED_GRAPHS:
                _GRAPHS.popitem(last=False)
        _GRAPHS.move_to_end(key)
        return graph
