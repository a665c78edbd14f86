from __future__ import annotations

import numpy as np
import pytest

from models_zoo import architectures, persistence
from models_zoo.tf_env import seed_everything, tf


@pytest.fixture
def model():
    seed_everything(0)
    return architectures.build("mlp", 3)


def test_round_trip_restores_the_same_outputs(model, tmp_path):
    path = tmp_path / "run.weights.h5"
    digest = persistence.save_weights(model, path)
    assert len(digest) == 64 and digest == persistence.sha256_of(path)
    assert [p.name for p in tmp_path.iterdir()] == ["run.weights.h5"]  # no temporary left
    loaded = persistence.load_model(path, model="mlp", n_classes=3, sha256=digest)
    x = tf.constant(np.random.default_rng(0).uniform(size=(2, 28, 28, 1)), tf.float32)
    np.testing.assert_array_equal(model(x).numpy(), loaded(x).numpy())


def test_an_altered_file_is_refused_before_loading(model, tmp_path):
    path = tmp_path / "run.weights.h5"
    digest = persistence.save_weights(model, path)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(persistence.WeightsError, match="SHA-256"):
        persistence.load_model(path, model="mlp", n_classes=3, sha256=digest)


def test_weights_for_another_architecture_are_refused(model, tmp_path):
    path = tmp_path / "run.weights.h5"
    digest = persistence.save_weights(model, path)
    with pytest.raises(persistence.WeightsError, match="does not fit"):
        persistence.load_model(path, model="cnn", n_classes=3, sha256=digest)


def test_missing_file_and_wrong_suffix(model, tmp_path):
    with pytest.raises(persistence.WeightsError, match="cannot read"):
        persistence.load_model(tmp_path / "gone.weights.h5", model="mlp", n_classes=3, sha256="0")
    with pytest.raises(ValueError, match=r"weights\.h5"):
        persistence.save_weights(model, tmp_path / "model.keras")


def test_checkpoint_records_architecture_config_and_hash(tmp_path):
    from models_zoo.config import RunConfig
    from models_zoo.pipeline import run

    config = RunConfig(classes=("box", "line", "tri"), epochs=3, seed=2, max_steps=5)
    result = run(config)
    metadata = persistence.save_checkpoint(result.model, tmp_path, config)
    assert metadata["architecture"] == "mlp" and metadata["n_classes"] == 3
    assert metadata["config"] == config.to_dict()
    model, loaded = persistence.load_checkpoint(tmp_path)
    assert loaded == metadata
    x = tf.zeros([1, 28, 28, 1])
    np.testing.assert_array_equal(model(x).numpy(), result.model(x).numpy())
    (tmp_path / "checkpoint.json").write_text("{broken")
    with pytest.raises(persistence.WeightsError, match=r"checkpoint\.json"):
        persistence.load_checkpoint(tmp_path)
