"""Training data: N noisy copies of each class image, one-hot labels, shuffled with a seed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models_zoo.classes import ClassSpec
from models_zoo.streams import streams

DEFAULT_COPIES = 10
DEFAULT_NOISE_AMPLITUDE = 0.01


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples in shuffled order. ``irrelevant`` is the per-sample mask of pixels that must
    not matter (zeros where a class has no highlight), or ``None`` when no class has one."""

    x: np.ndarray  # (n, 28, 28, 1) float32
    y: np.ndarray  # (n, k) one-hot float32
    labels: np.ndarray  # (n,) int
    irrelevant: np.ndarray | None  # (n, 28, 28, 1) float32 or None
    n_classes: int

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def split(self, validation_split: float) -> tuple[Dataset, Dataset | None]:
        """The last ``validation_split`` share is held out, unstratified (as Keras' ``fit``)."""
        n_train = int(len(self) * (1.0 - validation_split))
        n_train = max(1, min(n_train, len(self)))
        if n_train == len(self):
            return self, None
        return self._take(slice(0, n_train)), self._take(slice(n_train, None))

    def _take(self, part: slice) -> Dataset:
        mask = None if self.irrelevant is None else self.irrelevant[part]
        return Dataset(self.x[part], self.y[part], self.labels[part], mask, self.n_classes)


def irrelevant_mask(spec: ClassSpec, outside_relevant: bool) -> np.ndarray | None:
    """The pixels a class's highlight marks as not part of it: the red region, and optionally
    everything outside the yellow region."""
    mask = None if spec.irrelevant is None else (spec.irrelevant > 0.5).astype(np.float32)
    if outside_relevant and spec.relevant is not None and spec.relevant.max() > 0.5:
        outside = (spec.relevant <= 0.5).astype(np.float32)
        mask = outside if mask is None else np.maximum(mask, outside)
    return mask


def build_dataset(
    classes: Sequence[ClassSpec],
    *,
    copies: int = DEFAULT_COPIES,
    noise_amplitude: float = DEFAULT_NOISE_AMPLITUDE,
    seed: int = 0,
    masks: bool = False,
    outside_relevant: bool = False,
    augment_irrelevant: bool = False,
) -> Dataset:
    """Builds the shuffled training set.

    Every pixel of every copy gets ``uniform[0, noise_amplitude)`` noise; noise classes get a
    fresh draw per copy. With ``masks`` the highlight masks travel with the samples. With
    ``augment_irrelevant`` each class with a red region also gets as many counterfactual
    copies whose red pixels are replaced by background noise (the ``uniform[0, amplitude)``
    every pixel gets), so the class is also seen without whatever the region held. Full-range
    noise there would not do: it becomes a marker of its own that other classes never show.
    """
    if len(classes) < 2:
        raise ValueError("at least 2 classes are needed to train a classifier")
    if copies < 1:
        raise ValueError("copies must be at least 1")
    rng = streams(seed).data
    n_classes = len(classes)
    images: list[np.ndarray] = []
    labels: list[int] = []
    mask_rows: list[np.ndarray] = []
    for label, spec in enumerate(classes):
        red = irrelevant_mask(spec, outside_relevant)
        variants = [False, True] if augment_irrelevant and red is not None else [False]
        for counterfactual in variants:
            for _ in range(copies):
                image = spec.sample(rng).copy()
                if counterfactual and red is not None:
                    background = rng.uniform(0.0, noise_amplitude, image.shape)
                    image = np.where(red > 0, background, image)
                image = image + rng.uniform(0.0, noise_amplitude, image.shape)
                images.append(image.astype(np.float32))
                labels.append(label)
                mask_rows.append(red if red is not None else np.zeros(image.shape, np.float32))
    order = rng.permutation(len(labels))
    x = np.stack(images)[order][..., np.newaxis]
    label_array = np.asarray(labels, dtype=np.int64)[order]
    y = np.eye(n_classes, dtype=np.float32)[label_array]
    irrelevant = np.stack(mask_rows)[order][..., np.newaxis].astype(np.float32) if masks else None
    return Dataset(x=x, y=y, labels=label_array, irrelevant=irrelevant, n_classes=n_classes)
