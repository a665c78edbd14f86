"""The decoy digits benchmark: its command's JSON on a tiny configuration, its bad arguments,
and the share of saliency on the corner patches measured on models built to know it."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from models_zoo import datasets, decoy
from models_zoo.cli import EXIT_USAGE, main

TINY = ["decoy", "--seeds", "1", "--first-seed", "3", "--epochs", "2", "--max-steps", "5"]


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """One seed of every method, two epochs each: the command's JSON."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main([*TINY, "--json", "--quiet"])
    assert status == 0
    return json.loads(out.getvalue())


def test_the_json_has_one_entry_per_method_with_its_seeds(report: dict[str, Any]) -> None:
    assert [entry["method"] for entry in report["methods"]] == ["none", "rrr", "augment", "clean"]
    assert report["model"] == "mlp" and report["seeds"] == [3]
    assert report["highlight_lambda"] == decoy.DECOY_LAMBDA
    assert report["settings"]["epochs"] == 2
    assert report["settings"]["batch_size"] == datasets.DATASETS["decoy"].defaults["batch_size"]
    assert report["settings"]["validation_split"] == decoy.DECOY_VALIDATION_SPLIT == 0.0
    assert report["patch_area_share"] == pytest.approx(64 / 784)
    for entry in report["methods"]:
        assert entry["seeds"] == [3]
        assert entry["dataset"] == ("digits" if entry["method"] == "clean" else "decoy")
        (accuracy,) = entry["test_accuracy"]
        # Ten digits: a model that learnt anything in two epochs beats guessing.
        assert 0.1 < accuracy <= 1.0
        assert entry["mean"] == accuracy and entry["sd"] is None
        assert 0.0 <= entry["train_accuracy"][0] <= 1.0
        assert 0.0 <= entry["saliency_share"][0] <= 1.0
        assert entry["train_seconds"][0] > 0.0
        assert entry["summary"]["test_accuracy"] == {"mean": accuracy, "sd": None}
    assert report["references"]["Ross et al. 2017"]["none"] == 0.516
    assert set(report["targets"]) >= {"shortcut_taken", "penalty_gap_points"}


def test_the_penalty_takes_the_saliency_off_the_patches(report: dict[str, Any]) -> None:
    share = {entry["method"]: entry["saliency_share"][0] for entry in report["methods"]}
    # Plain training reads the label off the patch from the first epochs; the penalty on
    # the corners leaves them almost nothing.
    assert share["none"] > 0.1
    assert share["rrr"] < share["none"] / 5


def test_the_table_names_every_method_and_the_references(capsys: Any) -> None:
    records = [
        {
            "method": method,
            "seed": seed,
            "train_accuracy": 0.99,
            "test_accuracy": 0.5 + 0.1 * index + 0.01 * seed,
            "saliency_share": 0.2,
            "train_seconds": 1.5,
            "seconds": 2.0,
            "epochs": 10,
            "batch_size": 64,
            "validation_split": 0.1,
        }
        for index, method in enumerate(decoy.METHODS)
        for seed in (0, 1)
    ]
    report = decoy.summarise(records, decoy.Plan(seeds=(0, 1)))
    text = decoy.format_report(report)
    for label in ("plain", "penalty", "augmentation", "clean digits", "Ross et al. 2017"):
        assert label in text
    assert "0.505 ± 0.007" in text  # plain: seeds 0.500 and 0.510
    assert "0.500 0.510" in text
    # Plain 0.505 is a shortcut taken; penalty 0.605 is 20 points below clean 0.805.
    assert report["targets"]["shortcut_taken"] is True
    assert report["targets"]["penalty_gap_points"] == pytest.approx(20.0)
    assert report["targets"]["penalty_near_clean"] is False


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--seeds", "0"], "seeds"),
        (["--seeds", "two"], "seeds"),
        (["--first-seed", "-1"], "first_seed"),
        (["--model", "rnn"], "model"),
        (["--lambda", "much"], "lambda"),
        (["--lambda", "-1"], "lambda"),
        (["--epochs", "0"], "epochs"),
        (["--validation", "0.9"], "validation"),
        (["--validation", "some"], "validation"),
    ],
)
def test_bad_arguments_name_the_option(argv: list[str], field: str, capsys: Any) -> None:
    assert main(["decoy", *argv]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith(f"error: {field}: ")


def _linear_model(weights: np.ndarray) -> Any:
    """A one-layer model whose every class's logit is the image weighted by ``weights``
    times the class number (so each digit's log-probability depends on those pixels only)."""
    from models_zoo.tf_env import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()])
    dense = keras.layers.Dense(10)
    model.add(dense)
    kernel = np.outer(weights.ravel(), np.arange(10, dtype=np.float32)).astype(np.float32)
    dense.set_weights([kernel, np.zeros(10, np.float32)])
    return model


def test_the_saliency_share_is_where_the_model_looks() -> None:
    corners = decoy.corner_mask()
    split = datasets.load("decoy")
    images, labels = split.x_test[:50], split.y_test[:50]
    on_corners = decoy.saliency_share(_linear_model(corners), images, labels)
    off_corners = decoy.saliency_share(_linear_model(1.0 - corners), images, labels)
    assert on_corners == pytest.approx(1.0)
    assert off_corners == pytest.approx(0.0)
    # Equal weight everywhere: the share is the corners' share of the pixels.
    even = decoy.saliency_share(_linear_model(np.ones((28, 28))), images, labels)
    assert even == pytest.approx(64 / 784, rel=1e-4)


def test_the_benchmark_trains_to_convergence_on_every_training_digit() -> None:
    config, specs = decoy.run_config("none", 0, decoy.Plan())
    assert (config.epochs, config.validation_split) == (decoy.DECOY_EPOCHS, 0.0)
    assert config.batch_size == datasets.DATASETS["decoy"].defaults["batch_size"]
    assert all(spec.irrelevant is not None for spec in specs)
    kept = decoy.Plan(epochs=None, validation_split=None)
    config, specs = decoy.run_config("clean", 0, kept)
    defaults = datasets.DATASETS["digits"].defaults
    assert (config.epochs, config.validation_split) == (
        defaults["epochs"],
        defaults["validation_split"],
    )
    assert all(spec.irrelevant is None for spec in specs)
