"""A sweep group trained and visualized as one stacked computation equals its lone runs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from models_zoo import Cancelled, architectures, shapes
from models_zoo.classes import ClassSpec, resolve
from models_zoo.config import RunConfig
from models_zoo.pipeline import Progress, RunResult, run
from models_zoo.stacked import run_stacked
from models_zoo.stacked_layers import layer_plans
from models_zoo.sweep import run_group

CLASSES = ("box", "line", "circle")
TINY = {"classes": CLASSES, "model": "mlp", "epochs": 4, "max_steps": 60}


def configs(seeds: tuple[int, ...] = (3, 4, 5), **changes: object) -> list[RunConfig]:
    base = RunConfig.from_dict({**TINY, **changes})
    return [base.replace(seed=seed) for seed in seeds]


def assert_same(alone: RunResult, stacked: RunResult, *, r_tolerance: float = 1e-3) -> None:
    """Weights and training figures to float rounding; the images close: gradient ascent
    normalises each step by the gradient's size, which carries the rounding differences
    of a batched and a plain matrix product into the image (up to about 0.02 of a pixel
    for narrow networks), while |r| stays within ``r_tolerance``."""
    assert stacked.config == alone.config
    assert stacked.training.history.keys() == alone.training.history.keys()
    for key, values in alone.training.history.items():
        np.testing.assert_allclose(stacked.training.history[key], values, atol=1e-4)
    assert stacked.training.confusion == alone.training.confusion
    assert stacked.training.train_confusion == alone.training.train_confusion
    assert stacked.training.val_confusion == alone.training.val_confusion
    assert stacked.training.epochs_run == alone.training.epochs_run
    for a, b in zip(alone.classes, stacked.classes, strict=True):
        assert (b.key, b.steps, b.reached) == (a.key, a.steps, a.reached)
        np.testing.assert_allclose(b.image, a.image, atol=0.05)
        np.testing.assert_array_equal(b.template, a.template)
        assert b.r == pytest.approx(a.r, abs=r_tolerance)
        if a.snapshots is None:
            assert b.snapshots is None
        else:
            assert b.snapshots is not None and b.snapshots.shape == a.snapshots.shape
            np.testing.assert_allclose(b.snapshots, a.snapshots, atol=0.05)
    for a_class, b_class in zip(alone.classes, stacked.classes, strict=True):
        a_extra, b_extra = a_class.extras, b_class.extras
        assert [e.start for e in b_extra] == [e.start for e in a_extra]
        for x, y in zip(a_extra, b_extra, strict=True):
            np.testing.assert_allclose(y.image, x.image, atol=0.05)
            assert y.r == pytest.approx(x.r, abs=r_tolerance)
    alone_weights = alone.model.get_weights()
    for a, b in zip(alone_weights, stacked.model.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-4)
    assert len(stacked.highlight_effects) == len(alone.highlight_effects)


@pytest.fixture(scope="module")
def mlp_group() -> tuple[list[RunResult], list[RunResult]]:
    members = configs()
    specs = resolve(CLASSES)
    return [run(c, specs) for c in members], run_group(members, specs)


def test_each_stacked_mlp_member_equals_its_run_made_alone(mlp_group):
    alone, stacked = mlp_group
    assert [r.config.seed for r in stacked] == [3, 4, 5]
    for a, b in zip(alone, stacked, strict=True):
        assert_same(a, b)
        assert b.training.accuracy == pytest.approx(a.training.accuracy, abs=1e-6)
        assert b.training.val_accuracy == pytest.approx(a.training.val_accuracy, abs=1e-6)
    # The members are not copies of one another.
    assert not np.allclose(stacked[0].classes[0].image, stacked[1].classes[0].image)


def test_a_group_is_stacked_not_run_one_after_another(monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pipeline.run was called")

    monkeypatch.setattr("models_zoo.pipeline.run", refuse)
    results = run_group(configs((1, 2)), resolve(CLASSES))
    assert [r.config.seed for r in results] == [1, 2]


def test_a_group_of_one_equals_pipeline_run():
    (config,) = configs((8,))
    assert_same(run(config), run_group([config], resolve(CLASSES))[0])


@pytest.mark.parametrize(
    "changes",
    [
        {"diversity": 3, "diversity_starts": "kinds", "mlp_layers": [16, 12, 8]},
        {"objective": "logit", "clip": True, "initial_image": "noise", "snapshot_every": 7},
        {"jitter": 2, "tv": 0.01, "l2": 0.01, "blur_every": 4, "initial_image": "noise_blur"},
        {"optimizer": "adam", "batch_size": 5, "validation_split": 0.0, "threshold": 0.9},
    ],
    ids=[
        "diversity-layers",
        "logit-clip-snapshots",
        "jitter-tv-l2-blur",
        "adam-remainder-no-validation",
    ],
)
def test_generation_and_training_options_match_lone_runs(changes):
    members = configs((2, 9), **changes)
    specs = resolve(CLASSES)
    for a, b in zip([run(c, specs) for c in members], run_group(members, specs), strict=True):
        # oneDNN picks its kernels by processor, so the stacked batched products and a lone
        # run's products round differently on some machines; an image that barely matches its
        # template (|r| about 0.03, a diverse start) then moves |r| by a few thousandths.
        assert_same(a, b, r_tolerance=5e-3)


def marked_box() -> list[ClassSpec]:
    image = shapes.image("box").copy()
    image[1:4, 1:4] = 1.0
    mask = np.zeros((28, 28), np.float32)
    mask[0:5, 0:5] = 1.0
    return [ClassSpec(key="box", name="Box", image=image, irrelevant=mask), *resolve(["circle"])]


def test_right_for_the_right_reasons_per_member_matches_lone_runs():
    members = configs((1, 2), classes=("box", "circle"), highlight="rrr", highlight_lambda=50.0)
    specs = marked_box()
    for a, b in zip([run(c, specs) for c in members], run_group(members, specs), strict=True):
        assert_same(a, b)
        assert b.highlight_effects[0].saliency_share == pytest.approx(
            a.highlight_effects[0].saliency_share, abs=1e-3
        )


@pytest.fixture
def plain_cnn() -> Iterator[str]:
    """A small CNN without dropout (whose masks cannot match a lone run's): padding "same"
    and "valid", pooling, global average pooling and dense layers."""

    def build(n_classes: int) -> object:
        from models_zoo.tf_env import keras

        layers = keras.layers
        return keras.Sequential(
            [
                keras.Input(architectures.INPUT_SHAPE),
                layers.Conv2D(4, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(2),
                layers.Conv2D(6, 3, activation="relu"),
                layers.GlobalAveragePooling2D(),
                layers.Dense(8, activation="tanh"),
                layers.Dense(n_classes, name="logits"),
            ],
            name="plain_cnn",
        )

    architectures.register("plain_cnn", "Plain CNN", "for tests", split_batches=True)(build)
    yield "plain_cnn"
    del architectures.ARCHITECTURES["plain_cnn"]


@pytest.mark.parametrize(
    "layout,pool_gradient",
    [
        ("a part per member", "shared"),
        ("one part of patches", "shared"),
        ("a part per member", "single"),
    ],
)
def test_stacked_convolutions_equal_lone_runs(plain_cnn, layout, pool_gradient, monkeypatch):
    if layout == "one part of patches":  # the batched product over all members' patches
        monkeypatch.setattr("models_zoo.stacked.parts_for", lambda members, conv: [members])
    members = configs(
        (4, 5, 6), model=plain_cnn, epochs=3, max_steps=40, pool_gradient=pool_gradient
    )
    specs = resolve(CLASSES)
    alone = [run(c, specs) for c in members]
    for a, b in zip(alone, run_group(members, specs), strict=True):
        assert_same(a, b)


def test_the_paper_cnn_stacks_with_its_own_dropout_masks():
    members = configs((1, 2), model="cnn", epochs=3, max_steps=20)
    results = run_group(members, resolve(CLASSES))
    assert [r.config.seed for r in results] == [1, 2]
    for result in results:
        assert len(result.training.history["loss"]) == 3
        assert len(result.classes) == 3 and all(o.r is not None for o in result.classes)
        assert result.model.name == "cnn"
    assert not np.allclose(results[0].model.get_weights()[0], results[1].model.get_weights()[0])


def test_a_model_that_cannot_be_stacked_runs_one_after_another():
    def build(n_classes: int) -> object:
        from models_zoo.tf_env import keras

        inputs = keras.Input(architectures.INPUT_SHAPE)
        flat = keras.layers.Flatten()(inputs)
        logits = keras.layers.Dense(n_classes, name="logits")(flat)
        return keras.Model(inputs, logits, name="functional")

    architectures.register("functional", "Functional", "for tests")(build)
    try:
        assert layer_plans(build(3)) is None
        members = configs((1, 2), model="functional")
        specs = resolve(CLASSES)
        assert run_stacked(members, specs) is None
        for a, b in zip([run(c, specs) for c in members], run_group(members, specs), strict=True):
            assert_same(a, b, r_tolerance=1e-9)
    finally:
        del architectures.ARCHITECTURES["functional"]


def test_progress_covers_the_group_and_true_cancels_it():
    seen: list[Progress] = []
    run_group(configs((1, 2)), resolve(CLASSES), on_progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {p.phase for p in seen} == {"train", "generate"}
    assert {"loss", "accuracy"} <= set(seen[0].metrics)

    def stop_after_two_epochs(progress: Progress) -> bool:
        return progress.phase == "train" and progress.done >= 2

    with pytest.raises(Cancelled):
        run_group(configs((1, 2)), resolve(CLASSES), on_progress=stop_after_two_epochs)
