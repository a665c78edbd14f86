from __future__ import annotations

import pytest

from models_zoo.config import PRESETS, ConfigError, RunConfig


def test_defaults_are_the_paper_preset():
    config = RunConfig(classes=("box", "line"))
    for name, value in PRESETS["paper"].items():
        if name == "learning_rate":
            assert config.effective_learning_rate == value
        else:
            assert getattr(config, name) == value, name


def test_from_dict_coerces_form_strings():
    config = RunConfig.from_dict(
        {"classes": "box, line ,circle", "epochs": "50", "step_size": "0.01", "clip": "true"}
    )
    assert config.classes == ("box", "line", "circle")
    assert config.epochs == 50 and config.step_size == 0.01 and config.clip is True


def test_round_trip_through_a_dict():
    config = RunConfig(classes=("box", "tri"), model="cnn", seed=7, optimizer="adam")
    assert RunConfig.from_dict(config.to_dict()) == config
    assert config.effective_learning_rate == 0.001


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"classes": ["box"]}, "classes", "at least 2"),
        ({"classes": ["box", "box"]}, "classes", "twice"),
        ({"model": "resnet"}, "model", "unknown model"),
        ({"step_size": 0}, "step_size", "more than 0"),
        ({"step_size": -1}, "step_size", "more than 0"),
        ({"epochs": 0}, "epochs", "at least 1"),
        ({"epochs": 1001}, "epochs", "at most 1000"),
        ({"epochs": "many"}, "epochs", "whole number"),
        ({"epochs": 2.5}, "epochs", "whole number"),
        ({"step_size": float("nan")}, "step_size", "finite"),
        ({"threshold": 1.0}, "threshold", "less than 1"),
        ({"initial_image": "grey"}, "initial_image", "one of"),
        ({"clip": "maybe"}, "clip", "true or false"),
        ({"colour": "red"}, "colour", "not a setting"),
        ({"max_steps": 0}, "max_steps", "at least 1"),
    ],
)
def test_bad_values_name_their_field(changes, field, fragment):
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict({"classes": ["box", "line"], **changes})
    assert caught.value.field == field
    assert fragment in caught.value.message


def test_replace_validates():
    config = RunConfig(classes=("box", "line"))
    assert config.replace(epochs=5).epochs == 5
    with pytest.raises(ConfigError):
        config.replace(batch_size=0)
