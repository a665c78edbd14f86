"""How alike a generated image and a class template are."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def abs_pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """|Pearson r| over all pixels; ``None`` when either image is constant (r is undefined)."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"images differ in size: {x.size} and {y.size} pixels")
    x = x - x.mean()
    y = y - y.mean()
    denominator = np.sqrt(np.dot(x, x) * np.dot(y, y))
    if not np.isfinite(denominator) or denominator <= 1e-12 * max(x.size, 1):
        return None
    return float(min(abs(np.dot(x, y) / denominator), 1.0))


def cross_r(
    images: Sequence[np.ndarray], templates: Sequence[np.ndarray]
) -> list[list[float | None]]:
    """|r| of every generated image (rows) against every class template (columns)."""
    return [[abs_pearson(image, template) for template in templates] for image in images]


def mean_and_sd(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation of the values that are numbers (several images'
    |r|): (None, None) without any, and no deviation from a single one."""
    numbers = [float(value) for value in values if value is not None]
    if not numbers:
        return None, None
    mean = float(np.mean(numbers))
    sd = float(np.std(numbers, ddof=1)) if len(numbers) > 1 else None
    return mean, sd
