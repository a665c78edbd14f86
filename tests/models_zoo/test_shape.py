"""The model's shape as a setting, and several generated images per class (diversity)."""

from __future__ import annotations

import numpy as np
import pytest

from models_zoo import architectures, budget, generation, persistence, training
from models_zoo.config import ConfigError, RunConfig
from models_zoo.metrics import mean_and_sd
from models_zoo.pipeline import run

CLASSES = ("box", "line", "circle")


def _paper_mlp(n_classes):
    """The MLP exactly as it was written before its shape became a setting."""
    from models_zoo.tf_env import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Flatten(),
            layers.Dense(128, activation="tanh"),
            layers.Dense(128, activation="tanh"),
            layers.Dense(n_classes, name="logits"),
        ],
        name="mlp",
    )


def _paper_cnn(n_classes):
    """The CNN exactly as it was written before its shape became a setting."""
    from models_zoo.tf_env import keras

    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(n_classes, name="logits"),
        ],
        name="cnn",
    )


PAPER = {"mlp": _paper_mlp, "cnn": _paper_cnn}


def _weights(model):
    return [np.asarray(v) for v in model.weights]


def _assert_same_weights(a, b):
    first, second = _weights(a), _weights(b)
    assert [w.shape for w in first] == [w.shape for w in second]
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_default_shapes_build_the_paper_models_weight_for_weight(model):
    from models_zoo.tf_env import seed_everything

    config = RunConfig(classes=CLASSES, model=model, seed=5)
    seed_everything(5)
    built = architectures.build(model, 3, config)
    seed_everything(5)
    paper = PAPER[model](3)
    assert [type(layer) for layer in built.layers] == [type(layer) for layer in paper.layers]
    _assert_same_weights(built, paper)
    # Without a configuration the default shape is built too.
    seed_everything(5)
    _assert_same_weights(architectures.build(model, 3), paper)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_a_default_run_trains_and_generates_as_the_paper_models_do(model, monkeypatch):
    config = RunConfig(classes=CLASSES, model=model, epochs=3, seed=4, max_steps=20)
    today = run(config)
    info = architectures.ARCHITECTURES[model]
    # The same architecture as a fixed builder, as it was registered before: separate
    # compiled graphs (their cache keys differ), the same numbers.
    monkeypatch.setitem(
        architectures.ARCHITECTURES,
        model,
        architectures.ArchitectureInfo(
            model, info.label, info.description, PAPER[model], info.split_batches
        ),
    )
    before = run(config)
    _assert_same_weights(today.model, before.model)
    assert today.training.history == before.training.history
    for now, then in zip(today.classes, before.classes, strict=True):
        np.testing.assert_array_equal(now.image, then.image)
        assert now.r == then.r and now.steps == then.steps


def test_shapes_follow_the_settings():
    config = RunConfig(classes=CLASSES, mlp_layers=(64, 32, 16), cnn_filters=(8,), cnn_dense=24)
    mlp = architectures.build("mlp", 3, config)
    assert [layer.units for layer in mlp.layers[1:]] == [64, 32, 16, 3]
    cnn = architectures.build("cnn", 3, config)
    kinds = [type(layer).__name__ for layer in cnn.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dropout", "Dense"]
    assert cnn.layers[0].filters == 8 and cnn.layers[4].units == 24
    # A stored configuration (a mapping) works too; what it lacks takes the default.
    assert [layer.units for layer in architectures.build("mlp", 3, {}).layers[1:]] == [128, 128, 3]
    # The deeper CNN's shape is fixed: the settings do not change it.
    deep = architectures.build("cnn_deep", 3, config)
    assert deep.count_params() == architectures.build("cnn_deep", 3).count_params()


def test_compiled_graphs_are_kept_per_shape():
    small = RunConfig(classes=CLASSES, mlp_layers=(16,))
    assert architectures.shape_key("mlp", small) != architectures.shape_key("mlp", None)
    assert architectures.shape_key("cnn", small) == architectures.shape_key("cnn", None)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"mlp_layers": "64,x"}, "mlp_layers", "'x'"),
        ({"mlp_layers": [64, 32, 16, 8, 4]}, "mlp_layers", "1 to 4"),
        ({"mlp_layers": [0]}, "mlp_layers", "from 1 to 512"),
        ({"mlp_layers": [513]}, "mlp_layers", "from 1 to 512"),
        ({"mlp_layers": []}, "mlp_layers", "1 to 4"),
        ({"mlp_layers": [True]}, "mlp_layers", "whole number"),
        ({"mlp_layers": 64}, "mlp_layers", "list"),
        ({"cnn_filters": [8, 8, 8, 8]}, "cnn_filters", "1 to 3"),
        ({"cnn_filters": [65]}, "cnn_filters", "from 1 to 64"),
        ({"cnn_dense": 7}, "cnn_dense", "at least 8"),
        ({"cnn_dense": 600}, "cnn_dense", "at most 512"),
        ({"diversity": 0}, "diversity", "at least 1"),
        ({"diversity": 9}, "diversity", "at most 8"),
        ({"diversity_starts": "grey"}, "diversity_starts", "noise, kinds"),
    ],
)
def test_bad_shape_and_diversity_settings_name_their_field(changes, field, fragment):
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict({"classes": list(CLASSES), **changes})
    assert caught.value.field == field
    assert fragment in caught.value.message


def test_list_settings_come_from_text_or_lists_and_go_back_as_lists():
    config = RunConfig.from_dict(
        {"classes": "box,line", "mlp_layers": " 64, 32", "cnn_filters": [16.0], "cnn_dense": "40"}
    )
    assert config.mlp_layers == (64, 32)
    assert config.cnn_filters == (16,)
    assert config.cnn_dense == 40
    data = config.to_dict()
    assert data["mlp_layers"] == [64, 32] and data["cnn_filters"] == [16]
    assert RunConfig.from_dict(data) == config


def test_a_stored_configuration_without_the_new_settings_still_loads():
    old = RunConfig(classes=CLASSES).to_dict()
    for name in ("mlp_layers", "cnn_filters", "cnn_dense", "diversity", "diversity_starts"):
        del old[name]
    config = RunConfig.from_dict(old)
    assert config.mlp_layers == (128, 128) and config.cnn_filters == (32, 32)
    assert config.cnn_dense == 128 and config.diversity == 1


def test_the_estimate_scales_with_the_widths_and_the_images_per_class():
    base = RunConfig(classes=CLASSES)
    wide = base.replace(mlp_layers=[512, 512, 512, 512])
    narrow = base.replace(mlp_layers=[16])
    assert budget.estimate_seconds(narrow) < budget.estimate_seconds(base)
    assert budget.estimate_seconds(base) < budget.estimate_seconds(wide)
    cnn = base.replace(model="cnn")
    assert budget.estimate_seconds(cnn) < budget.estimate_seconds(cnn.replace(cnn_dense=512))
    assert budget.estimate_seconds(cnn) < budget.estimate_seconds(cnn.replace(diversity=4))
    # The shape settings of another architecture change nothing.
    assert budget.estimate_seconds(base) == budget.estimate_seconds(
        base.replace(cnn_filters=[64, 64, 64])
    )


def test_the_largest_shapes_fit_a_run_of_the_default_site():
    """The bounds: the paper's settings on six classes with the largest shapes, even with
    eight images per class, stay under the site's default limit per run (300 s)."""
    six = ("box", "line", "circle", "tri", "line_horizontal", "circle_hollow")
    largest = RunConfig(classes=six, mlp_layers=(512,) * 4, diversity=8)
    assert budget.estimate_seconds(largest) < 60
    largest_cnn = RunConfig(
        classes=six, model="cnn", cnn_filters=(64,) * 3, cnn_dense=512, diversity=8
    )
    assert budget.estimate_seconds(largest_cnn) < 300


def test_weights_beyond_the_default_shape_are_priced():
    """A wide model pays for its weights at every step (measured: the widest MLP trains 16
    times as slowly as the paper's, for 10 times the multiply-adds)."""
    base = RunConfig(classes=CLASSES)
    wide = budget.shape_factors(base.replace(mlp_layers=[512, 512, 512, 512]))
    assert wide.extra_weights > 1_000_000
    assert budget.shape_factors(base.replace(mlp_layers=[16])).extra_weights == 0
    assert budget.shape_factors(base).extra_weights == 0
    paper = budget.estimate_seconds(base) - budget.OVERHEAD_S
    assert budget.estimate_seconds(base.replace(mlp_layers=[512] * 4)) - budget.OVERHEAD_S > (
        10 * paper
    )


def test_a_narrow_mlp_trains_and_its_saved_weights_reload(tmp_path):
    config = RunConfig(classes=CLASSES, mlp_layers=(16,), epochs=5, seed=2, max_steps=10)
    result = run(config)
    assert [layer.units for layer in result.model.layers[1:]] == [16, 3]
    assert result.training.accuracy is not None
    persistence.save_checkpoint(result.model, tmp_path, config)
    model, metadata = persistence.load_checkpoint(tmp_path)
    assert metadata["config"]["mlp_layers"] == [16]
    _assert_same_weights(model, result.model)
    # Loading into the default shape fails loudly instead of silently.
    digest = persistence.sha256_of(tmp_path / persistence.WEIGHTS_NAME)
    with pytest.raises(persistence.WeightsError):
        persistence.load_model(
            tmp_path / persistence.WEIGHTS_NAME, model="mlp", n_classes=3, sha256=digest
        )
    training.clear_cache()


def test_diversity_gives_k_images_per_class_with_their_r():
    config = RunConfig(classes=CLASSES, epochs=5, seed=2, max_steps=30, diversity=3)
    result = run(config)
    single = run(config.replace(diversity=1))
    for outcome, alone in zip(result.classes, single.classes, strict=True):
        assert len(outcome.extras) == 2
        images = [outcome.image, *(extra.image for extra in outcome.extras)]
        assert all(image.shape == (28, 28) for image in images)
        # The first image is the one a run of one image per class makes.
        np.testing.assert_allclose(outcome.image, alone.image, atol=1e-5)
        assert [extra.start for extra in outcome.extras] == ["noise", "noise"]
        assert not np.allclose(outcome.extras[0].image, outcome.extras[1].image)
        rs = [r for r in outcome.all_r if r is not None]
        assert len(rs) == 3
        assert outcome.mean_r == pytest.approx(np.mean(rs))
        assert outcome.sd_r == pytest.approx(np.std(rs, ddof=1))
        data = outcome.to_json()
        assert len(data["extras"]) == 2 and data["sd_r"] == outcome.sd_r
        assert "extras" not in alone.to_json()


def test_starting_batch_repeats_the_classes_for_each_start():
    config = RunConfig(classes=CLASSES, initial_image="noise", seed=6)
    one, targets = generation.starting_batch(config, 3)
    assert targets == [0, 1, 2]
    np.testing.assert_array_equal(one, generation.initial_images("noise", 3, 6))
    three, targets = generation.starting_batch(config.replace(diversity=3), 3)
    assert three.shape == (9, 28, 28) and three.dtype == np.float32
    assert targets == [0, 1, 2] * 3
    np.testing.assert_array_equal(three[:3], one)
    assert not np.allclose(three[3:6], three[:3])
    kinds = config.replace(initial_image="white", diversity=6, diversity_starts="kinds")
    assert generation.start_kinds(kinds) == [
        "white", "noise", "noise_blur", "black", "noise", "noise_blur",
    ]  # fmt: skip
    starts, _ = generation.starting_batch(kinds, 2)
    assert np.all(starts[:2] == 1.0) and np.all(starts[6:8] == 0.0)
    assert not np.allclose(starts[2:4], starts[8:10])


def test_mean_and_sd_skip_missing_values():
    assert mean_and_sd([None, None]) == (None, None)
    assert mean_and_sd([0.5, None]) == (0.5, None)
    mean, sd = mean_and_sd([0.2, 0.4, None])
    assert mean == pytest.approx(0.3) and sd == pytest.approx(np.std([0.2, 0.4], ddof=1))
