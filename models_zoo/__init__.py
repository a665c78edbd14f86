"""ShapeShop's ML core: shapes, training data, models, training, class activation maximization.

Pure Python with no Django. Importing this package (or ``shapes``, ``config``, ``classes``,
``metrics``, ``render``, ``architectures``) never loads TensorFlow; ``pipeline``,
``training``, ``generation`` and ``persistence`` do, and belong in worker processes only.
"""

from __future__ import annotations

from models_zoo.classes import ClassSpec
from models_zoo.config import PRESETS, ConfigError, RunConfig


class Cancelled(Exception):
    """A run was asked to stop by its progress callback."""


__all__ = ["PRESETS", "Cancelled", "ClassSpec", "ConfigError", "RunConfig"]
