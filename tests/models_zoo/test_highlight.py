from __future__ import annotations

import numpy as np
import pytest

from models_zoo import shapes
from models_zoo.classes import ClassSpec, resolve
from models_zoo.config import RunConfig
from models_zoo.highlight import energy_share, region_share
from models_zoo.pipeline import run

CORNER = np.zeros((28, 28), np.float32)
CORNER[0:5, 0:5] = 1.0


def test_region_share_counts_what_lies_in_the_mask():
    values = np.zeros((28, 28))
    values[0, 0], values[27, 27] = 3.0, 1.0
    assert region_share(values, CORNER) == pytest.approx(0.75)
    assert region_share(np.zeros((28, 28)), CORNER) is None


def test_energy_share_of_an_image_drawn_only_in_the_region_is_one_and_elsewhere_small():
    inside = CORNER.copy()
    assert energy_share(inside, CORNER) == pytest.approx(1.0, abs=0.05)
    assert energy_share(shapes.image("box"), CORNER) < 0.05
    assert energy_share(np.ones((28, 28)), CORNER) is None


def marked_box(mask: np.ndarray | None) -> list[ClassSpec]:
    image = shapes.image("box").copy()
    image[1:4, 1:4] = 1.0  # a spurious marker that every box carries
    return [ClassSpec(key="box", name="Box", image=image, irrelevant=mask), *resolve(["circle"])]


def test_effects_are_reported_only_for_classes_with_a_red_region():
    config = RunConfig(classes=("box", "circle"), epochs=5, seed=0, max_steps=30)
    assert run(config, marked_box(None)).highlight_effects == []
    effects = run(config, marked_box(CORNER)).highlight_effects
    assert [e.key for e in effects] == ["box"]
    assert effects[0].area_share == pytest.approx(25 / 784)
    assert 0.0 <= effects[0].energy_share <= 1.0
    assert 0.0 <= effects[0].saliency_share <= 1.0


def test_right_for_the_right_reasons_moves_saliency_out_of_the_red_region():
    config = RunConfig(classes=("box", "circle"), epochs=30, seed=1, max_steps=300)
    plain = run(config, marked_box(CORNER)).highlight_effects[0]
    guided = run(config.replace(highlight="rrr"), marked_box(CORNER)).highlight_effects[0]
    assert guided.saliency_share < plain.saliency_share / 3
    assert guided.energy_share < plain.energy_share
