"""A run's estimated worker time grows with the work it asks for, model by model."""

from __future__ import annotations

from models_zoo.budget import estimate_seconds, training_images
from models_zoo.config import RunConfig

SIX = ("box", "line", "circle", "tri", "noise", "noise_blur")


def test_training_images_leave_out_the_validation_share() -> None:
    assert training_images(RunConfig(classes=SIX)) == 48  # 60 copies, 12 for validation


def test_more_work_costs_more_time() -> None:
    paper = RunConfig(classes=SIX)
    assert estimate_seconds(paper.replace(epochs=200)) > estimate_seconds(paper)
    assert estimate_seconds(paper.replace(copies=30)) > estimate_seconds(paper)
    assert estimate_seconds(paper.replace(max_steps=4000)) > estimate_seconds(paper)
    assert estimate_seconds(paper.replace(batch_size=32)) < estimate_seconds(paper)
    assert estimate_seconds(paper.replace(highlight="rrr")) > estimate_seconds(paper)


def test_bigger_models_cost_more() -> None:
    runs = [RunConfig(classes=SIX, model=model) for model in ("mlp", "cnn", "cnn_deep")]
    mlp, cnn, deep = (estimate_seconds(run) for run in runs)
    assert mlp < cnn < deep


def test_a_dataset_run_counts_its_datasets_training_images() -> None:
    digits = RunConfig.from_dict({"classes": ["digits:1", "digits:2", "digits:3"]})
    assert training_images(digits) == 1200 - 120  # 400 a digit, a tenth for validation
    assert training_images(digits.replace(copies=50)) == training_images(digits)
    assert training_images(digits.replace(highlight="augment")) == 2400 - 240
    # The digits' defaults keep a ten-digit MLP run short despite its 3,600 images.
    ten = RunConfig.from_dict({"classes": [f"digits:{d}" for d in range(10)]})
    assert estimate_seconds(ten) < estimate_seconds(ten.replace(batch_size=4))
    assert estimate_seconds(ten) < 10
