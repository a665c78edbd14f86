"""Runs on a dataset's classes: the settings, the training data, and the test figures."""

from __future__ import annotations

import numpy as np
import pytest

from models_zoo import datasets
from models_zoo.classes import ClassImageError, ClassSpec, resolve
from models_zoo.config import ConfigError, RunConfig
from models_zoo.data import build_image_dataset, build_test_set, is_dataset_run

DIGITS = ("digits:7", "digits:1", "digits:3")
TINY = {"classes": DIGITS, "model": "mlp", "epochs": 1, "max_steps": 30, "mlp_layers": [32]}


@pytest.mark.parametrize(
    "classes",
    [
        ["digits:1", "box"],
        ["digits:1", "drawn:4"],
        ["digits:1", "decoy:2"],
        ["box", "decoy:2", "line"],
    ],
)
def test_classes_of_two_datasets_are_refused_naming_classes(classes):
    with pytest.raises(ConfigError) as error:
        RunConfig.from_dict({"classes": classes})
    assert error.value.field == "classes"
    assert "one dataset" in error.value.message


def test_a_class_a_dataset_lacks_is_refused_naming_classes():
    with pytest.raises(ConfigError) as error:
        RunConfig.from_dict({"classes": ["digits:1", "digits:10"]})
    assert error.value.field == "classes" and "digits:10" in error.value.message
    # Shapes and drawn classes together are one dataset.
    assert RunConfig.from_dict({"classes": ["box", "drawn:4"]}).classes == ("box", "drawn:4")


def test_from_dict_fills_the_datasets_defaults_but_keeps_given_values():
    defaults = datasets.DATASETS["digits"].defaults
    config = RunConfig.from_dict({"classes": ["digits:1", "digits:2"]})
    for name, value in defaults.items():
        assert getattr(config, name) == value
    given = RunConfig.from_dict({"classes": "digits:1,digits:2", "epochs": "3", "batch_size": 8})
    assert (given.epochs, given.batch_size) == (3, 8)
    assert given.validation_split == defaults["validation_split"]
    # A change keeps what the configuration holds; shapes runs keep the paper's settings.
    assert given.replace(seed=4).epochs == 3
    shapes = RunConfig.from_dict({"classes": ["box", "line"]})
    assert (shapes.batch_size, shapes.epochs, shapes.validation_split) == (4, 100, 0.2)
    # The constructor is plain: defaults come with from_dict only.
    assert RunConfig(classes=("digits:1", "digits:2")).batch_size == 4


def test_dataset_class_specs_carry_their_dataset_and_template():
    spec = resolve(["decoy:3"])[0]
    assert (spec.key, spec.name, spec.dataset) == ("decoy:3", "3 (decoy)", "decoy")
    np.testing.assert_array_equal(spec.image, datasets.template("decoy:3"))
    # Built from stored pixels without naming the dataset, the key still tells it.
    stored = ClassSpec(key="digits:3", name="3", image=datasets.template("digits:3"))
    assert stored.dataset == "digits"
    assert ClassSpec(key="box", name="Box", image=np.zeros((28, 28))).dataset is None
    with pytest.raises(ClassImageError):
        ClassSpec(key="box", name="Box", image=np.zeros((28, 28)), dataset="digits")
    with pytest.raises(ClassImageError):
        ClassSpec(key="digits:3", name="3", image=np.zeros((28, 28)), dataset="decoy")


def test_dataset_training_data_are_the_chosen_digits_in_the_runs_order():
    specs = resolve(DIGITS)
    assert is_dataset_run(specs) and not is_dataset_run(resolve(["box", "line"]))
    data = build_image_dataset(specs, seed=1)
    split = datasets.load("digits")
    assert len(data) == 3 * datasets.TRAIN_PER_CLASS and data.x.shape[1:] == (28, 28, 1)
    assert np.bincount(data.labels).tolist() == [datasets.TRAIN_PER_CLASS] * 3
    np.testing.assert_array_equal(data.y.argmax(axis=1), data.labels)
    for label, key in enumerate(DIGITS):
        mine = data.x[data.labels == label, ..., 0]
        theirs = split.x_train[split.y_train == datasets.label_of(key)]
        assert sorted(x.tobytes() for x in mine) == sorted(x.tobytes() for x in theirs)
    assert data.irrelevant is None
    # The seed shuffles the order, not the content.
    other = build_image_dataset(specs, seed=2)
    assert not np.array_equal(other.labels, data.labels)
    assert sorted(other.labels.tolist()) == sorted(data.labels.tolist())


def test_highlight_masks_and_counterfactuals_of_dataset_classes():
    corners = datasets.default_irrelevant("decoy:0")
    specs = [
        ClassSpec(key="decoy:0", name="0", image=datasets.template("decoy:0"), irrelevant=corners),
        ClassSpec(key="decoy:1", name="1", image=datasets.template("decoy:1")),
    ]
    data = build_image_dataset(specs, seed=0, masks=True)
    assert data.irrelevant is not None
    np.testing.assert_array_equal(data.irrelevant[data.labels == 0][0, ..., 0], corners)
    assert data.irrelevant[data.labels == 1].max() == 0.0
    augmented = build_image_dataset(specs, seed=0, augment_irrelevant=True)
    n = datasets.TRAIN_PER_CLASS
    assert np.bincount(augmented.labels).tolist() == [2 * n, n]
    # Outside the red corners a counterfactual is one of the class's own images; inside, the
    # corners come from other images, so the patch grey no longer gives the label away.
    outside = corners == 0
    zeros = augmented.x[augmented.labels == 0, ..., 0]
    own = {x[outside].tobytes() for x in datasets.training_images("decoy:0")}
    assert all(x[outside].tobytes() in own for x in zeros)
    greys = {round(float(x[corners > 0].max()), 4) for x in zeros}
    assert len(greys) > 5


def test_the_test_set_holds_the_chosen_classes_held_out_images():
    test = build_test_set(resolve(DIGITS))
    assert test is not None and test.irrelevant is None
    assert np.bincount(test.labels).tolist() == [datasets.TEST_PER_CLASS] * 3
    split = datasets.load("digits")
    sevens = test.x[test.labels == 0, ..., 0]
    np.testing.assert_array_equal(sevens, split.x_test[split.y_test == 7])
    assert build_test_set(resolve(["box", "line"])) is None


@pytest.fixture(scope="module")
def digits_run():
    from models_zoo.pipeline import run

    return run(RunConfig.from_dict({**TINY, "epochs": 2}))


def test_a_digits_run_reports_test_figures_that_agree_with_its_confusion(digits_run):
    training = digits_run.training
    matrix = np.asarray(training.test_confusion)
    assert matrix.shape == (3, 3)
    assert matrix.sum(axis=1).tolist() == [datasets.TEST_PER_CLASS] * 3
    assert training.test_accuracy == pytest.approx(np.trace(matrix) / matrix.sum())
    per_class = np.diag(matrix) / matrix.sum(axis=1)
    np.testing.assert_allclose(training.test_per_class_accuracy, per_class)
    # Two epochs of three digits are far above the chance of a third.
    assert training.test_accuracy > 0.8
    out = digits_run.to_json()
    assert out["test_accuracy"] == training.test_accuracy
    assert out["training"]["test_confusion"] == training.test_confusion
    # The training figures are those of the training images.
    assert sum(map(sum, training.confusion)) == 3 * datasets.TRAIN_PER_CLASS
    assert [o.key for o in digits_run.classes] == list(DIGITS)
    np.testing.assert_array_equal(digits_run.classes[0].template, datasets.template("digits:7"))


def test_a_shapes_run_has_no_test_figures():
    from models_zoo.pipeline import run

    result = run(RunConfig.from_dict({"classes": ["box", "line"], "epochs": 2, "max_steps": 10}))
    training = result.training
    assert training.test_accuracy is None
    assert training.test_per_class_accuracy == [] and training.test_confusion == []
    assert result.to_json()["test_accuracy"] is None
    assert training.accuracy is not None and training.val_accuracy is not None


def test_stacked_members_get_the_test_figures_of_their_lone_runs(digits_run):
    from models_zoo.pipeline import run
    from models_zoo.sweep import run_group

    base = RunConfig.from_dict(TINY)
    members = [base.replace(seed=seed) for seed in (5, 6)]
    specs = resolve(DIGITS)
    grouped = run_group(members, specs)
    for config, member in zip(members, grouped, strict=True):
        alone = run(config, specs).training
        assert member.training.test_confusion == alone.test_confusion
        assert member.training.test_accuracy == pytest.approx(alone.test_accuracy, abs=1e-9)
        assert member.training.test_per_class_accuracy == pytest.approx(
            alone.test_per_class_accuracy
        )
        assert member.training.test_accuracy is not None


def test_the_corner_mask_of_decoy_digits_trains_with_either_highlight():
    from models_zoo.pipeline import run

    keys = ["decoy:0", "decoy:1", "decoy:7"]
    specs = [
        ClassSpec(
            key=key,
            name=key,
            image=datasets.template(key),
            irrelevant=datasets.default_irrelevant(key),
        )
        for key in keys
    ]
    shares = {}
    for highlight in ("none", "rrr", "augment"):
        config = RunConfig.from_dict(
            {**TINY, "classes": keys, "epochs": 2, "highlight": highlight, "seed": 3}
        )
        result = run(config, specs)
        assert result.training.test_accuracy is not None
        assert result.training.test_accuracy > 0.8
        shares[highlight] = np.mean([e.saliency_share for e in result.highlight_effects])
    # The penalty keeps the gradient out of the corners (measured here: 0.036 of the
    # saliency against 0.088 without it; the corners are 0.082 of the pixels).
    assert shares["rrr"] < 0.6 * shares["none"]
