"""Real tiny models with fixed seeds: training, generation, metrics and their contracts."""

from __future__ import annotations

import numpy as np
import pytest

from models_zoo import Cancelled, architectures
from models_zoo.classes import resolve
from models_zoo.config import RunConfig
from models_zoo.data import build_dataset
from models_zoo.generation import generate
from models_zoo.pipeline import Progress, run

CLASSES = ("box", "line", "circle")


@pytest.fixture(scope="module")
def mlp_result():
    config = RunConfig(classes=CLASSES, epochs=30, seed=3, max_steps=500)
    return run(config)


def test_architectures_output_logits_for_each_class():
    from models_zoo.tf_env import tf

    names = [info.name for info in architectures.list_architectures()]
    assert names[:2] == ["mlp", "cnn"] and len(names) >= 3
    x = tf.zeros([2, 28, 28, 1])
    for name in names:
        model = architectures.build(name, 5)
        assert tuple(model(x).shape) == (2, 5)
        assert model.layers[-1].name == "logits"
        assert model.layers[-1].get_config()["activation"] == "linear"


def test_paper_architectures_match_the_prototype():
    mlp = architectures.build("mlp", 6)
    assert [layer.__class__.__name__ for layer in mlp.layers] == [
        "Flatten",
        "Dense",
        "Dense",
        "Dense",
    ]
    assert [layer.units for layer in mlp.layers[1:]] == [128, 128, 6]
    assert mlp.layers[1].get_config()["activation"] == "tanh"
    cnn = architectures.build("cnn", 6)
    kinds = [layer.__class__.__name__ for layer in cnn.layers]
    assert kinds == [
        "Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dropout", "Dense",
    ]  # fmt: skip
    conv1, conv2 = 3 * 3 * 32 + 32, 3 * 3 * 32 * 32 + 32
    dense, logits = 12 * 12 * 32 * 128 + 128, 128 * 6 + 6
    assert cnn.count_params() == conv1 + conv2 + dense + logits


@pytest.mark.parametrize("model", ["mlp", "cnn", "cnn_deep"])
def test_each_architecture_learns_a_small_set(model):
    epochs = {"mlp": 20, "cnn": 12, "cnn_deep": 60}[model]
    config = RunConfig(classes=CLASSES, model=model, epochs=epochs, seed=1, max_steps=5)
    result = run(config)
    assert result.training.accuracy >= 0.99
    assert result.training.epochs_run == epochs
    assert len(result.training.history["loss"]) == epochs


def test_result_holds_history_confusion_and_per_class_accuracy(mlp_result):
    training = mlp_result.training
    assert training.history["loss"][-1] < training.history["loss"][0]
    assert set(training.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert np.array(training.confusion).sum() == 30
    assert np.trace(np.array(training.confusion)) == 30
    assert training.per_class_accuracy == [1.0, 1.0, 1.0]
    assert set(mlp_result.timings) == {"build_s", "train_s", "visualize_s"}


def test_confusion_is_split_into_training_and_validation_parts(mlp_result):
    training = mlp_result.training
    fitted, held_out = np.array(training.train_confusion), np.array(training.val_confusion)
    assert fitted.shape == held_out.shape == (3, 3)
    assert fitted.sum() == 24 and held_out.sum() == 6  # validation split 0.2 of 30
    np.testing.assert_array_equal(fitted + held_out, np.array(training.confusion))
    # The last epoch's validation accuracy was measured on the same images, same weights.
    assert np.trace(held_out) / 6 == pytest.approx(training.val_accuracy)


def test_without_a_validation_split_there_is_no_validation_matrix():
    config = RunConfig(classes=CLASSES, epochs=3, seed=3, max_steps=5, validation_split=0.0)
    training = run(config).training
    assert training.val_confusion == []
    assert training.train_confusion == training.confusion


def test_generated_images_reach_the_threshold_and_correlate(mlp_result):
    assert [o.key for o in mlp_result.classes] == list(CLASSES)
    for outcome in mlp_result.classes:
        assert outcome.reached and outcome.probability > 0.99
        assert 0 < outcome.steps < 500
        assert outcome.r is not None and 0.1 < outcome.r <= 1.0
        assert outcome.image.shape == (28, 28) and outcome.image.dtype == np.float32
    matrix = np.array(mlp_result.cross_r, dtype=float)
    assert matrix.shape == (3, 3)
    assert np.allclose(np.diag(matrix), [o.r for o in mlp_result.classes])


def test_same_seed_same_weights_and_images(mlp_result):
    again = run(mlp_result.config)
    for a, b in zip(mlp_result.model.get_weights(), again.model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(mlp_result.classes, again.classes, strict=True):
        assert np.array_equal(a.image, b.image) and a.steps == b.steps
    other = run(mlp_result.config.replace(seed=4))
    assert not np.array_equal(other.classes[0].image, mlp_result.classes[0].image)


def test_the_iteration_cap_stops_an_unreachable_threshold(mlp_result):
    config = mlp_result.config.replace(threshold=0.999999, max_steps=7, step_size=0.0001)
    generated = generate(mlp_result.model, 3, config)
    assert generated.steps.tolist() == [7, 7, 7]
    assert not generated.reached.any()


def test_a_lower_threshold_stops_sooner(mlp_result):
    strict = generate(mlp_result.model, 3, mlp_result.config)
    loose = generate(mlp_result.model, 3, mlp_result.config.replace(threshold=0.6))
    assert np.all(loose.steps < strict.steps)
    assert np.all(loose.probabilities > 0.6)


def test_batched_generation_matches_one_class_at_a_time(mlp_result):
    batched = generate(mlp_result.model, 3, mlp_result.config)
    for k in range(3):
        alone = generate(mlp_result.model, 3, mlp_result.config, targets=[k])
        assert alone.steps[0] == batched.steps[k]
        np.testing.assert_allclose(alone.images[0], batched.images[k], atol=1e-4)


def test_generation_with_split_batches_matches_whole_batches(monkeypatch):
    """The CNN's generator runs its convolutions on two halves of the images (3 and 2 here):
    the same images as running all five at once."""
    from models_zoo import generation

    config = RunConfig(classes=("box", "line", "circle", "tri", "noise"), model="cnn", epochs=3)
    result = run(config.replace(seed=4, max_steps=60, copies=4))
    generation.clear_cache()
    split = generate(result.model, 5, result.config)
    monkeypatch.setattr(generation, "trunk_and_head", lambda model: ([], []))
    generation.clear_cache()
    whole = generate(result.model, 5, result.config)
    generation.clear_cache()
    np.testing.assert_array_equal(split.steps, whole.steps)
    np.testing.assert_allclose(split.images, whole.images, atol=1e-4)
    assert np.abs(split.images).max() > 0.01  # the images did move away from black


def test_split_forward_gives_the_models_own_logits():
    from models_zoo.tf_env import tf
    from models_zoo.training import split_forward, trunk_and_head

    model = architectures.build("cnn", 4)
    trunk, head = trunk_and_head(model)
    assert trunk and head
    x = tf.constant(np.random.default_rng(0).random((5, 28, 28, 1)), tf.float32)
    np.testing.assert_allclose(
        split_forward(model, trunk, head, x, False).numpy(),
        model(x, training=False).numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"clip": True, "initial_image": "noise"},
        {"objective": "logit", "initial_image": "white", "max_steps": 50},
        {"l2": 0.01, "tv": 0.001, "blur_every": 3, "jitter": 1, "initial_image": "noise_blur"},
    ],
)
def test_generation_options(mlp_result, changes):
    config = mlp_result.config.replace(**changes)
    generated = generate(mlp_result.model, 3, config)
    assert np.all(np.isfinite(generated.images))
    # A start the model already reads as the class needs no step; every other class moves.
    assert np.all((generated.steps >= 1) | generated.reached)
    plain = generate(mlp_result.model, 3, mlp_result.config)
    assert not np.allclose(generated.images, plain.images)
    if changes.get("clip"):
        assert generated.images.min() >= 0.0 and generated.images.max() <= 1.0


def test_snapshots_record_the_image_evolving(mlp_result):
    config = mlp_result.config.replace(snapshot_every=2)
    generated = generate(mlp_result.model, 3, config)
    assert generated.snapshots is not None
    count = generated.snapshots.shape[0]
    assert count >= 1 + int(generated.steps.max()) // 2
    assert np.all(generated.snapshots[0] == 0.0)  # black start
    np.testing.assert_array_equal(generated.snapshots[-1], generated.images)


def test_progress_reports_epochs_then_steps_and_can_cancel():
    seen: list[Progress] = []
    config = RunConfig(classes=("box", "line"), epochs=4, seed=0, max_steps=50)
    run(config, on_progress=lambda p: seen.append(p))
    phases = [p.phase for p in seen]
    assert phases[:4] == ["train"] * 4 and phases[-1] == "generate"
    assert [p.done for p in seen[:4]] == [1, 2, 3, 4]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(seen[0].metrics)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    calls: list[int] = []

    def stop_after_two(progress: Progress) -> bool:
        calls.append(progress.done)
        return progress.phase == "train" and progress.done == 2

    with pytest.raises(Cancelled):
        run(config.replace(epochs=50), on_progress=stop_after_two)
    assert calls[-1] == 2


def test_highlight_penalty_is_zero_without_a_mask_and_positive_inside_it():
    from models_zoo.tf_env import tf
    from models_zoo.training import rrr_penalty

    grads = tf.constant(np.random.default_rng(0).normal(size=(2, 28, 28, 1)), tf.float32)
    empty = tf.zeros([2, 28, 28, 1])
    assert float(rrr_penalty(empty, grads)) == 0.0
    mask = np.zeros((2, 28, 28, 1), np.float32)
    mask[:, :5, :5] = 1.0
    assert float(rrr_penalty(tf.constant(mask), grads)) > 0.0


def test_highlighted_training_runs_compiled():
    red = np.zeros((28, 28), np.float32)
    red[20:, 20:] = 1.0
    specs = resolve(["box", "line"])
    from models_zoo.classes import ClassSpec

    specs[0] = ClassSpec(key="box", name="Box", image=specs[0].image, irrelevant=red)
    config = RunConfig(classes=("box", "line"), epochs=10, seed=0, max_steps=50, highlight="rrr")
    result = run(config, specs)
    assert result.training.accuracy >= 0.99
    data = build_dataset(specs, masks=True)
    assert data.irrelevant is not None and data.irrelevant.sum() > 0


def test_kept_graphs_give_the_same_result_as_new_ones():
    from models_zoo import generation, training

    config = RunConfig(classes=("box", "line", "circle"), model="cnn", epochs=3, seed=5)
    config = config.replace(max_steps=20)
    training.clear_cache()
    generation.clear_cache()
    fresh = run(config)
    run(config.replace(seed=6))  # another run through the same kept graph in between
    kept = run(config)
    assert fresh.model is not kept.model
    for a, b in zip(fresh.model.get_weights(), kept.model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(fresh.classes, kept.classes, strict=True):
        assert np.array_equal(a.image, b.image)
    assert fresh.training.history == kept.training.history


BATCH_SIZES_SEEN: list[int | None] = []


def small_convnet(n_classes):
    """A convolutional model without dropout, so split and whole batches draw nothing. Its
    identity layer notes the batch sizes the trunk is traced with."""
    import keras
    from keras import layers

    def probe(tensor):
        BATCH_SIZES_SEEN.append(tensor.shape[0])
        return tensor

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Lambda(probe),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(16, activation="tanh"),
            layers.Dense(n_classes, name="logits"),
        ],
        name="small_convnet",
    )


@pytest.mark.parametrize("highlight", ["none", "rrr"])
def test_split_batches_train_as_whole_batches_do(highlight, monkeypatch):
    """The convolutions run on two halves of each batch and the dense layers on the whole:
    the same training as whole batches, up to float rounding, also with the penalty."""
    from models_zoo import training
    from models_zoo.classes import ClassSpec

    monkeypatch.setitem(
        architectures.ARCHITECTURES,
        "small_convnet",
        architectures.ArchitectureInfo("small_convnet", "Small", "test", small_convnet, True),
    )
    red = np.zeros((28, 28), np.float32)
    red[:6, :6] = 1.0
    specs = resolve(["box", "line", "circle"])
    specs[0] = ClassSpec(key="box", name="Box", image=specs[0].image, irrelevant=red)
    config = RunConfig(classes=("box", "line", "circle"), copies=5, seed=3, highlight=highlight)
    # 12 training samples in batches of 4, or of 5 with a remainder batch of 2 (split too).
    train_set, val_set = build_dataset(specs, copies=5, seed=3, masks=True).split(0.2)
    orders = np.stack([np.random.default_rng(e).permutation(12) for e in range(4)])
    start = architectures.build("small_convnet", 3)
    results = {}
    for batch, split in [(4, False), (4, True), (5, False), (5, True)]:
        graph = training._TrainGraph(
            "small_convnet",
            (3, len(train_set), len(val_set), batch),
            "adadelta",
            highlight == "rrr",
            split,
        )
        assert bool(graph.trunk) == split
        graph.load(start, train_set, val_set, config)
        BATCH_SIZES_SEEN.clear()
        rows = graph.run_epochs(training.tf.constant(orders, training.tf.int32)).numpy()
        # Split: halves of the batches (5 makes 3 and 2, the remainder of 2 makes 1 and 1)
        # and of the 3 validation samples. Whole: the batch, the remainder of 2 and the 3
        # validation samples. (Keras may also infer the layer's output shape with no batch
        # size: that None says nothing of the split.)
        expected = {
            (4, False): {4, 3},
            (4, True): {2, 1},
            (5, False): {5, 2, 3},
            (5, True): {3, 2, 1},
        }[batch, split]
        assert set(BATCH_SIZES_SEEN) - {None} == expected
        results[batch, split] = (rows, [v.numpy() for v in graph.model.trainable_variables])
    for batch in (4, 5):
        (whole_rows, whole), (split_rows, halves) = results[batch, False], results[batch, True]
        np.testing.assert_allclose(split_rows, whole_rows, rtol=1e-4, atol=1e-6)
        for a, b in zip(whole, halves, strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    # The weights moved: the comparison above is between trained models, not copies.
    assert not np.allclose(results[4, False][1][0], start.trainable_variables[0].numpy())


def test_the_trunk_is_what_comes_before_the_first_dense_layer():
    from models_zoo.training import split_layers

    trunk, head = split_layers(architectures.build("cnn", 3))
    assert [type(layer).__name__ for layer in trunk] == [
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Flatten",
    ]
    assert [type(layer).__name__ for layer in head] == ["Dense", "Dropout", "Dense"]
    assert architectures.ARCHITECTURES["cnn"].split_batches
    assert architectures.ARCHITECTURES["cnn_deep"].split_batches
    assert not architectures.ARCHITECTURES["mlp"].split_batches


def test_predictions_over_many_images_go_a_chunk_at_a_time():
    from models_zoo.tf_env import seed_everything, tf
    from models_zoo.training import PREDICT_CHUNK, predicted_classes

    seed_everything(5)
    model = architectures.build(
        "mlp", 4, RunConfig.from_dict({"classes": ["box", "line"], "mlp_layers": [8]})
    )
    n = 2 * PREDICT_CHUNK + 5
    x = np.random.default_rng(5).random((n, 28, 28, 1), dtype=np.float32)
    sizes: list[int] = []

    def counting(batch, training):
        sizes.append(int(batch.shape[0]))
        return model(batch, training=training)

    predicted = predicted_classes(counting, x)
    assert sizes == [PREDICT_CHUNK, PREDICT_CHUNK, 5]
    whole = np.argmax(np.asarray(model(tf.constant(x), training=False)), axis=1)
    np.testing.assert_array_equal(predicted, whole)
    assert len(set(predicted.tolist())) > 1  # not one class for everything
    assert predicted_classes(counting, x[:0]).shape == (0,)
