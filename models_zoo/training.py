"""Compiled training: one ``tf.function`` per epoch, fused optimizer updates.

Keras' ``fit`` spends most of its time in per-batch Python; here an epoch is a single graph
call with the batch loop inside it, and the optimizer is one fused kernel per variable
(``ResourceApplyAdadelta`` / ``ResourceApplyAdam``). Between epochs the progress callback
gets the epoch's numbers and may ask training to stop.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models_zoo import architectures
from models_zoo.architectures import Sizes
from models_zoo.config import RunConfig
from models_zoo.data import Dataset
from models_zoo.streams import streams
from models_zoo.tf_env import keras, tf

# Keras 1.2's defaults, which the paper's prototype trained with.
ADADELTA_RHO = 0.95
ADADELTA_EPSILON = 1e-8
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-7

# Target duration of one graph call during training, and the most epochs one call may run.
CHUNK_SECONDS = 0.15
MAX_CHUNK = 50

EpochCallback = Callable[[int, dict[str, float]], bool | None]


class TrainingStopped(Exception):
    """The epoch callback asked training to stop."""


@dataclass
class TrainingOutcome:
    history: dict[str, list[float]] = field(default_factory=dict)
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    per_class_accuracy: list[float | None] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    epochs_run: int = 0
    # The same matrix split the way training split the data: the images the model was fitted
    # on, and the validation images held out of fitting (empty without a validation split).
    # ``confusion`` above covers both together, as it always has.
    train_confusion: list[list[int]] = field(default_factory=list)
    val_confusion: list[list[int]] = field(default_factory=list)
    # On the dataset's held-out test images; None and empty for datasets without a test
    # split (shapes). The confusion matrix's rows are true classes, columns predicted ones.
    test_accuracy: float | None = None
    test_per_class_accuracy: list[float | None] = field(default_factory=list)
    test_confusion: list[list[int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "history": self.history,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
            "per_class_accuracy": self.per_class_accuracy,
            "confusion": self.confusion,
            "epochs_run": self.epochs_run,
            "train_confusion": self.train_confusion,
            "val_confusion": self.val_confusion,
            "test_accuracy": self.test_accuracy,
            "test_per_class_accuracy": self.test_per_class_accuracy,
            "test_confusion": self.test_confusion,
        }

    def measure(
        self, model: Any, data: Dataset, train_set: Dataset, val_set: Dataset | None
    ) -> None:
        """Fills the confusion matrices and per-class accuracy: over ``data`` (the whole
        training data), and over its training and validation parts, which ``Dataset.split``
        takes from its front and its back (one prediction over ``data`` serves all three)."""
        predicted = predict(model, data)
        k = data.n_classes
        self.confusion, self.per_class_accuracy = matrix_of(data.labels, predicted, k)
        n_train = len(train_set)
        n_val = 0 if val_set is None else len(val_set)
        if n_train + n_val != len(data):
            raise ValueError("the training and validation parts do not make up the data")
        self.train_confusion = matrix_of(data.labels[:n_train], predicted[:n_train], k)[0]
        if n_val:
            self.val_confusion = matrix_of(data.labels[n_train:], predicted[n_train:], k)[0]

    def measure_test(self, model: Any, test_set: Dataset | None) -> None:
        """Fills the test figures from ``test_set`` (nothing to fill without one)."""
        if test_set is None or len(test_set) == 0:
            return
        self.test_confusion, self.test_per_class_accuracy = confusion(model, test_set)
        correct = sum(self.test_confusion[i][i] for i in range(test_set.n_classes))
        self.test_accuracy = correct / len(test_set)


class _Optimizer:
    """Slots and one fused apply op per variable. The learning rate is a variable, so a new
    value needs no new graph."""

    def __init__(self, name: str, variables: list[Any]) -> None:
        self.name = name
        self.variables = variables
        self.lr = tf.Variable(1.0, trainable=False)
        self.slots = [
            (
                tf.Variable(tf.zeros_like(v), trainable=False),
                tf.Variable(tf.zeros_like(v), trainable=False),
            )
            for v in variables
        ]
        self.step = tf.Variable(0.0, trainable=False)

    def reset(self, learning_rate: float) -> None:
        self.lr.assign(learning_rate)
        self.step.assign(0.0)
        for first, second in self.slots:
            first.assign(tf.zeros_like(first))
            second.assign(tf.zeros_like(second))

    def apply(self, grads: list[Any]) -> list[Any]:
        """One fused update of each variable; returns the update ops (for control
        dependencies where they matter)."""
        ops = []
        if self.name == "adadelta":
            for var, (accum, accum_update), grad in zip(
                self.variables, self.slots, grads, strict=True
            ):
                ops.append(
                    tf.raw_ops.ResourceApplyAdadelta(
                        var=var.handle,
                        accum=accum.handle,
                        accum_update=accum_update.handle,
                        lr=self.lr,
                        rho=tf.constant(ADADELTA_RHO),
                        epsilon=tf.constant(ADADELTA_EPSILON),
                        grad=grad,
                    )
                )
            return ops
        step = self.step.assign_add(1.0)
        beta1_power = tf.pow(tf.constant(ADAM_BETA_1), step)
        beta2_power = tf.pow(tf.constant(ADAM_BETA_2), step)
        for var, (m, v), grad in zip(self.variables, self.slots, grads, strict=True):
            ops.append(
                tf.raw_ops.ResourceApplyAdam(
                    var=var.handle,
                    m=m.handle,
                    v=v.handle,
                    beta1_power=beta1_power,
                    beta2_power=beta2_power,
                    lr=self.lr,
                    beta1=tf.constant(ADAM_BETA_1),
                    beta2=tf.constant(ADAM_BETA_2),
                    epsilon=tf.constant(ADAM_EPSILON),
                    grad=grad,
                )
            )
        return ops


def copy_variables(source: Any, target: Any) -> None:
    """Copies every variable (weights and random-generator state) between two models of the
    same architecture."""
    pairs = list(zip(source.variables, target.variables, strict=True))
    for a, b in pairs:
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(f"variable shapes differ: {a.shape} and {b.shape}")
        b.assign(a)


def rrr_penalty(irrelevant: Any, input_grads: Any) -> Any:
    """The "right for the right reasons" term (Ross et al., 2017) without its lambda: the
    squared input gradient of the summed log-probabilities inside the irrelevant mask,
    summed over pixels and averaged over the batch."""
    per_sample = tf.reduce_sum(tf.square(irrelevant * input_grads), axis=[1, 2, 3])
    return tf.reduce_mean(per_sample)


def split_layers(model: Any) -> tuple[list[Any], list[Any]]:
    """A sequential model's layers before its first dense layer (the trunk, which may run
    on parts of a batch) and from there on (the head). No trunk for other models."""
    if not isinstance(model, keras.Sequential):
        return [], []
    found = [i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Dense)]
    if not found or found[0] == 0:
        return [], []
    return list(model.layers[: found[0]]), list(model.layers[found[0] :])


def trunk_and_head(model: Any) -> tuple[list[Any], list[Any]]:
    """``split_layers`` where the model's architecture asks for split batches, else none."""
    from models_zoo import architectures

    info = architectures.ARCHITECTURES.get(model.name)
    return split_layers(model) if info is not None and info.split_batches else ([], [])


def split_forward(model: Any, trunk: list[Any], head: list[Any], x: Any, training: bool) -> Any:
    """The model's logits for a batch. With a trunk, its layers run on the two halves of the
    batch as independent ops, which the executor puts on two cores; the head then sees the
    whole batch again. Each sample's numbers are those of the whole batch at once; summed
    weight gradients differ only by float rounding. The batch size must be static to split."""
    size = x.shape[0]
    if not trunk or size is None or size < 2:
        return model(x, training=training)
    half = (size + 1) // 2
    parts = [x[:half], x[half:]]
    for layer in trunk:
        parts = [layer(part, training=training) for part in parts]
    h = tf.concat(parts, axis=0)
    for layer in head:
        h = layer(h, training=training)
    return h


def run_epochs(one_epoch: Callable[[Any], Any], orders: Any) -> Any:
    """Inside a compiled function: ``one_epoch`` for each row of batch orders, its figures
    stacked epoch by epoch."""
    count = tf.shape(orders)[0]
    results = tf.TensorArray(tf.float32, size=count)
    for e in tf.range(count):
        results = results.write(e, one_epoch(orders[e]))
    return results.stack()


class _TrainGraph:
    """A model of one architecture and the compiled training function for one data shape.

    Tracing the graph costs a quarter of a second or more, as much as the MLP's whole
    training, so graphs are kept and reused: a new run copies its freshly initialised
    weights in, resets the optimizer, assigns its data to the graph's variables, trains,
    and copies the trained weights back out into its own model.
    """

    def __init__(
        self,
        architecture: str,
        shape: tuple[int, int, int, int],
        optimizer: str,
        rrr: bool,
        split: bool | None = None,
        sizes: Sizes = None,
    ) -> None:
        n_classes, n_train, n_val, batch = shape
        self.model = architectures.build(architecture, n_classes, sizes)
        variables = [getattr(v, "value", v) for v in self.model.trainable_variables]
        self.optimizer = _Optimizer(optimizer, variables)
        self.rrr_lambda = tf.Variable(0.0, trainable=False)
        self.x = tf.Variable(tf.zeros([n_train, 28, 28, 1]), trainable=False)
        self.y = tf.Variable(tf.zeros([n_train, n_classes]), trainable=False)
        self.m = tf.Variable(tf.zeros([n_train, 28, 28, 1]), trainable=False)
        self.x_val = tf.Variable(tf.zeros([max(n_val, 1), 28, 28, 1]), trainable=False)
        self.y_val = tf.Variable(tf.zeros([max(n_val, 1), n_classes]), trainable=False)
        self.has_val = n_val > 0
        self.rrr = rrr
        if split is None:
            self.trunk, self.head = trunk_and_head(self.model)
        else:
            self.trunk, self.head = split_layers(self.model) if split else ([], [])
        self.n = n_train
        self.batch = batch
        self.run_epochs = tf.function(
            self._run_epochs, input_signature=[tf.TensorSpec([None, n_train], tf.int32)]
        )

    def _forward(self, xb: Any, training: bool) -> Any:
        return split_forward(self.model, self.trunk, self.head, xb, training)

    def _step(self, xb: Any, yb: Any, mb: Any) -> tuple[Any, Any]:
        model = self.model
        with tf.GradientTape() as tape:
            if not self.rrr:
                logits = self._forward(xb, True)
                loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, logits))
            else:
                with tf.GradientTape() as input_tape:
                    input_tape.watch(xb)
                    logits = self._forward(xb, True)
                    log_probs = tf.reduce_sum(tf.nn.log_softmax(logits))
                input_grads = input_tape.gradient(log_probs, xb)
                cross_entropy = tf.nn.softmax_cross_entropy_with_logits(yb, logits)
                penalty = rrr_penalty(mb, input_grads)
                loss = tf.reduce_mean(cross_entropy) + self.rrr_lambda * penalty
        grads = tape.gradient(loss, model.trainable_variables)
        self.optimizer.apply(grads)
        hits = tf.equal(tf.argmax(logits, 1), tf.argmax(yb, 1))
        return loss, tf.reduce_sum(tf.cast(hits, tf.float32))

    def _one_epoch(self, order: Any) -> Any:
        n, batch = self.n, self.batch
        full_batches, remainder = divmod(n, batch)
        x = tf.gather(self.x, order)
        y = tf.gather(self.y, order)
        m = tf.gather(self.m, order)
        total_loss = tf.constant(0.0)
        total_correct = tf.constant(0.0)
        for i in tf.range(full_batches):
            part = slice(i * batch, (i + 1) * batch)
            # A slice at a loop index has no static batch size: give it one.
            xb, yb, mb = (tf.ensure_shape(t[part], [batch, *t.shape[1:]]) for t in (x, y, m))
            loss, correct = self._step(xb, yb, mb)
            total_loss += loss * batch
            total_correct += correct
        if remainder:
            part = slice(full_batches * batch, None)
            loss, correct = self._step(x[part], y[part], m[part])
            total_loss += loss * remainder
            total_correct += correct
        val_loss = val_accuracy = tf.constant(0.0)
        if self.has_val:
            logits = self._forward(self.x_val, False)
            val_loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(self.y_val, logits))
            hits = tf.equal(tf.argmax(logits, 1), tf.argmax(self.y_val, 1))
            val_accuracy = tf.reduce_mean(tf.cast(hits, tf.float32))
        return tf.stack([total_loss / n, total_correct / n, val_loss, val_accuracy])

    # Several epochs per graph call keep Python out of the loop; the chunk grows until a call
    # takes about CHUNK_SECONDS, so progress still arrives several times a second.
    def _run_epochs(self, orders: Any) -> Any:
        return run_epochs(self._one_epoch, orders)

    def load(
        self, model: Any, train_set: Dataset, val_set: Dataset | None, config: RunConfig
    ) -> None:
        copy_variables(model, self.model)
        self.optimizer.reset(config.effective_learning_rate)
        self.rrr_lambda.assign(float(config.highlight_lambda))
        self.x.assign(train_set.x)
        self.y.assign(train_set.y)
        masks = train_set.irrelevant
        self.m.assign(masks if masks is not None else np.zeros_like(train_set.x))
        if val_set is not None:
            self.x_val.assign(val_set.x)
            self.y_val.assign(val_set.y)


_GRAPHS: OrderedDict[tuple[Any, ...], _TrainGraph] = OrderedDict()
_GRAPHS_LOCK = threading.Lock()
MAX_CACHED_GRAPHS = 6


def clear_cache() -> None:
    """Forgets every kept training graph (the next run traces anew)."""
    with _GRAPHS_LOCK:
        _GRAPHS.clear()


def _graph_for(model: Any, n_train: int, n_val: int, config: RunConfig) -> _TrainGraph:
    n_classes = int(model.output_shape[-1])
    batch = min(config.batch_size, n_train)
    rrr = config.highlight == "rrr"
    shape = architectures.shape_key(model.name, config)
    key = (shape, n_classes, n_train, n_val, batch, config.optimizer, rrr)
    graph = _GRAPHS.get(key)
    if graph is None:
        dims = (n_classes, n_train, n_val, batch)
        graph = _TrainGraph(model.name, dims, config.optimizer, rrr, sizes=config)
        _GRAPHS[key] = graph
        while len(_GRAPHS) > MAX_CACHED_GRAPHS:
            _GRAPHS.popitem(last=False)
    _GRAPHS.move_to_end(key)
    return graph


def train(
    model: Any,
    train_set: Dataset,
    val_set: Dataset | None,
    config: RunConfig,
    on_epoch: EpochCallback | None = None,
) -> TrainingOutcome:
    """Trains ``model`` (an untrained model from ``architectures.build``) in place; returns
    per-epoch history and final figures."""
    with _GRAPHS_LOCK:
        n_val = 0 if val_set is None else len(val_set)
        graph = _graph_for(model, len(train_set), n_val, config)
        graph.load(model, train_set, val_set, config)
        try:
            return _train_loop(graph, config, on_epoch, has_val=val_set is not None)
        finally:
            copy_variables(graph.model, model)


def _train_loop(
    graph: _TrainGraph, config: RunConfig, on_epoch: EpochCallback | None, has_val: bool
) -> TrainingOutcome:
    n = graph.n
    rng = streams(config.seed).order
    orders = np.stack([rng.permutation(n) for _ in range(config.epochs)]).astype(np.int32)
    outcome = TrainingOutcome(
        history={"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    )
    chunk = 1
    epoch = 0
    while epoch < config.epochs:
        began = time.perf_counter()
        rows = graph.run_epochs(tf.constant(orders[epoch : epoch + chunk])).numpy()
        elapsed = time.perf_counter() - began
        for row in rows:
            epoch += 1
            metrics = {"loss": float(row[0]), "accuracy": float(row[1])}
            if has_val:
                metrics["val_loss"] = float(row[2])
                metrics["val_accuracy"] = float(row[3])
            for key, value in metrics.items():
                outcome.history[key].append(value)
            outcome.epochs_run = epoch
            if on_epoch is not None and on_epoch(epoch, metrics):
                raise TrainingStopped(f"stopped after epoch {epoch}")
        if epoch > 1:  # the first call may also trace the graph: do not judge speed by it
            per_epoch = elapsed / len(rows)
            chunk = max(1, min(MAX_CHUNK, int(CHUNK_SECONDS / max(per_epoch, 1e-6))))
    if not outcome.history["val_loss"]:
        del outcome.history["val_loss"], outcome.history["val_accuracy"]
    last = {key: values[-1] for key, values in outcome.history.items()}
    outcome.loss = last.get("loss")
    outcome.accuracy = last.get("accuracy")
    outcome.val_loss = last.get("val_loss")
    outcome.val_accuracy = last.get("val_accuracy")
    return outcome


# Images one forward pass takes outside training. All at once, a paper CNN's activations over
# a digits run's 4,000 images took its worker's peak memory from 0.9 GB to 2 GB.
PREDICT_CHUNK = 256


def predicted_classes(model: Any, x: np.ndarray) -> np.ndarray:
    """The class the model gives each of the images ``x`` (n, 28, 28, 1), PREDICT_CHUNK at a
    time."""
    parts = [
        np.argmax(np.asarray(model(tf.constant(x[i : i + PREDICT_CHUNK]), training=False)), axis=1)
        for i in range(0, len(x), PREDICT_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def predict(model: Any, data: Dataset) -> np.ndarray:
    """The class the model gives each image."""
    return predicted_classes(model, data.x)


def matrix_of(
    labels: np.ndarray, predicted: np.ndarray, k: int
) -> tuple[list[list[int]], list[float | None]]:
    """Confusion matrix (rows: true class, columns: predicted) and per-class accuracy."""
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    totals = matrix.sum(axis=1)
    per_class = [float(matrix[i, i] / totals[i]) if totals[i] else None for i in range(k)]
    return matrix.tolist(), per_class


def confusion(model: Any, data: Dataset) -> tuple[list[list[int]], list[float | None]]:
    """Confusion matrix (rows: true class, columns: predicted) and per-class accuracy."""
    return matrix_of(data.labels, predict(model, data), data.n_classes)


def steps_per_epoch(n: int, batch_size: int) -> int:
    return math.ceil(n / max(1, min(batch_size, n)))
