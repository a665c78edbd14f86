"""Training data: N noisy copies of each class image (shapes), or a dataset's images of the
chosen classes; one-hot labels, shuffled with a seed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models_zoo import datasets
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


def is_dataset_run(classes: Sequence[ClassSpec]) -> bool:
    """Whether the classes are those of a dataset with an image set (not shapes)."""
    return bool(classes) and all(spec.dataset is not None for spec in classes)


def _dataset_name(classes: Sequence[ClassSpec]) -> str:
    found = {spec.dataset for spec in classes}
    if len(found) != 1 or None in found:
        raise ValueError("the classes must all come from one dataset with an image set")
    return str(found.pop())


def _chosen(
    classes: Sequence[ClassSpec], images: np.ndarray, digits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The images of the chosen classes, labelled by their place in the run's class order."""
    wanted = [datasets.label_of(spec.key) for spec in classes]
    keep = np.isin(digits, wanted)
    relabel = np.full(datasets.DIGITS, -1, dtype=np.int64)
    relabel[wanted] = np.arange(len(wanted))
    return images[keep], relabel[digits[keep]]


def build_image_dataset(
    classes: Sequence[ClassSpec],
    *,
    seed: int = 0,
    masks: bool = False,
    outside_relevant: bool = False,
    augment_irrelevant: bool = False,
) -> Dataset:
    """The shuffled training set of a dataset run: the dataset's training images of the
    chosen classes, labelled in the run's class order.

    Highlight masks work as for shapes, one per class. With ``augment_irrelevant`` each
    image of a class with a red region also gets a counterfactual copy whose red pixels are
    those of a training image of the dataset drawn at random (of any class, chosen or not):
    what the region holds then says nothing about the class (for decoy digits, the patch
    shows the grey of a random digit, as at test).
    """
    if len(classes) < 2:
        raise ValueError("at least 2 classes are needed to train a classifier")
    split = datasets.load(_dataset_name(classes))
    images, labels = _chosen(classes, split.x_train, split.y_train)
    reds = [irrelevant_mask(spec, outside_relevant) for spec in classes]
    rng = streams(seed).data
    zero = np.zeros(images.shape[1:], np.float32)
    mask_of = np.stack([zero if red is None else red for red in reds])
    if augment_irrelevant and any(red is not None for red in reds):
        has_red = np.asarray([red is not None for red in reds])[labels]
        originals = np.flatnonzero(has_red)
        donors = rng.integers(0, len(split.x_train), size=len(originals))
        red = mask_of[labels[originals]] > 0
        swapped = np.where(red, split.x_train[donors], images[originals])
        images = np.concatenate([images, swapped])
        labels = np.concatenate([labels, labels[originals]])
    order = rng.permutation(len(labels))
    x = np.asarray(images[order], dtype=np.float32)[..., np.newaxis]
    labels = labels[order]
    y = np.eye(len(classes), dtype=np.float32)[labels]
    irrelevant = mask_of[labels][..., np.newaxis] if masks else None
    return Dataset(x=x, y=y, labels=labels, irrelevant=irrelevant, n_classes=len(classes))


def build_test_set(classes: Sequence[ClassSpec]) -> Dataset | None:
    """The dataset's held-out test images of the chosen classes, labelled in the run's class
    order; None for shapes (no test split)."""
    if not is_dataset_run(classes):
        return None
    split = datasets.load(_dataset_name(classes))
    images, labels = _chosen(classes, split.x_test, split.y_test)
    y = np.eye(len(classes), dtype=np.float32)[labels]
    x = np.asarray(images, dtype=np.float32)[..., np.newaxis]
    return Dataset(x=x, y=y, labels=labels, irrelevant=None, n_classes=len(classes))
