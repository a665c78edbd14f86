"""The one place TensorFlow is imported, quietly. Only the worker side imports this module."""

from __future__ import annotations

import os

# Hides TensorFlow's start-up chatter. oneDNN stays on: turning it off makes the CNN 2.4x slower.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# One thread inside each op, two ops at a time (TensorFlow's default for the second pool).
# The ops here are small (batches of 2 to 12 images): splitting one op across cores costs
# more in hand-over than it saves, while independent ops (the halves of a split batch, see
# ``architectures.ArchitectureInfo.split_batches``) keep both cores busy; bench/bench_split.py
# measures both choices. Set the variable to override.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")


def _import_quietly() -> None:
    """Imports TensorFlow with file descriptor 2 pointed at /dev/null: its C++ logger prints
    start-up notices before any Python setting can reach it. Errors still raise as usual."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        import tensorflow

        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_quietly()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

__all__ = ["keras", "seed_everything", "tf"]

# Every run builds a new model and so traces new graph functions on purpose; TensorFlow's
# "excessive retracing" warning would greet each run after the fifth.
tf.get_logger().setLevel("ERROR")


def seed_everything(seed: int) -> None:
    """Seeds Python, NumPy, TensorFlow and Keras; with the same seed on the same machine the
    weights and generated images come out identical."""
    keras.utils.set_random_seed(seed)
