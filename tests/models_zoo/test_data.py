from __future__ import annotations

import numpy as np
import pytest

from models_zoo import shapes
from models_zoo.classes import ClassImageError, ClassSpec, resolve
from models_zoo.data import build_dataset


def test_counts_labels_and_noise_amplitude():
    classes = resolve(["box", "line", "circle"])
    data = build_dataset(classes, copies=10, seed=0)
    assert data.x.shape == (30, 28, 28, 1) and data.y.shape == (30, 3)
    assert np.bincount(data.labels).tolist() == [10, 10, 10]
    assert np.array_equal(np.argmax(data.y, axis=1), data.labels)
    for index, key in enumerate(["box", "line", "circle"]):
        added = data.x[data.labels == index, ..., 0] - shapes.image(key)
        assert added.min() >= 0.0 and added.max() < 0.01
        assert added.std() > 0.001  # every copy got its own noise


def test_noise_amplitude_is_configurable():
    data = build_dataset(resolve(["box", "line"]), noise_amplitude=0.2, seed=0)
    added = data.x[data.labels == 0, ..., 0] - shapes.image("box")
    assert 0.15 < added.max() < 0.2


def test_samples_are_shuffled_and_seeded():
    classes = resolve(["box", "line"])
    a = build_dataset(classes, seed=5)
    b = build_dataset(classes, seed=5)
    c = build_dataset(classes, seed=6)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)
    assert a.labels.tolist() != sorted(a.labels.tolist())


def test_noise_classes_get_a_fresh_draw_per_copy():
    data = build_dataset(resolve(["noise", "box"]), copies=5, seed=1)
    noise = data.x[data.labels == 0, ..., 0]
    assert not np.allclose(noise[0], noise[1], atol=0.05)


def test_arbitrary_arrays_are_classes_too():
    drawing = np.zeros((28, 28), np.float32)
    drawing[3:8, 3:25] = 1.0
    classes = [ClassSpec(key="drawn-1", name="Bar", image=drawing), ClassSpec.from_catalogue("box")]
    data = build_dataset(classes, copies=4, seed=0)
    assert np.all(data.x[data.labels == 0, 3:8, 3:25, 0] >= 1.0)


@pytest.mark.parametrize(
    "image",
    [np.zeros((27, 28)), np.full((28, 28), np.nan), np.full((28, 28), 2.0), "not an image"],
)
def test_bad_class_images_are_refused(image):
    with pytest.raises(ClassImageError):
        ClassSpec(key="x", name="X", image=image)


def test_validation_split_takes_the_last_share():
    data = build_dataset(resolve(["box", "line", "circle"]), copies=10, seed=0)
    train, val = data.split(0.2)
    assert len(train) == 24 and val is not None and len(val) == 6
    assert np.array_equal(val.labels, data.labels[24:])
    assert data.split(0.0)[1] is None


def test_masks_travel_with_their_samples():
    red = np.zeros((28, 28), np.float32)
    red[0:4, 0:4] = 1.0
    box = shapes.image("box")
    classes = [ClassSpec(key="box", name="Box", image=box, irrelevant=red), *resolve(["line"])]
    data = build_dataset(classes, copies=3, seed=0, masks=True)
    assert data.irrelevant is not None
    assert np.all(data.irrelevant[data.labels == 0, 0:4, 0:4, 0] == 1.0)
    assert data.irrelevant[data.labels == 1].sum() == 0.0


def test_counterfactual_augmentation_adds_copies_with_the_red_region_erased():
    marked = shapes.image("box").copy()
    marked[0:3, 0:3] = 1.0
    red = np.zeros((28, 28), np.float32)
    red[0:4, 0:4] = 1.0
    classes = [ClassSpec(key="b", name="B", image=marked, irrelevant=red), *resolve(["line"])]
    data = build_dataset(classes, copies=3, seed=0, augment_irrelevant=True)
    assert np.bincount(data.labels).tolist() == [6, 3]
    corners = data.x[data.labels == 0, 0:3, 0:3, 0]
    assert sorted(bool(c.min() >= 1.0) for c in corners) == [False] * 3 + [True] * 3
    erased = [c for c in corners if c.max() < 1.0]
    assert all(c.max() < 0.02 for c in erased)  # background noise, twice the amplitude at most
    assert np.all(data.x[data.labels == 0, 7:21, 7:21, 0] >= 1.0)  # the box itself is untouched
