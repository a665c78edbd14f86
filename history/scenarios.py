"""The paper's comparisons, queued in one click: each scenario is a set of runs with the
paper preset (or, for a dataset's classes, the dataset's defaults), compared side by side
once they finish."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models_zoo import datasets
from models_zoo.config import RunConfig
from models_zoo.decoy import DECOY_LAMBDA


@dataclass(frozen=True)
class Scenario:
    """One of the paper's comparisons: the runs it queues, all with the paper preset (a
    dataset's classes with the dataset's defaults). ``settings``, when given, holds what
    each run changes besides, in the order of ``runs``."""

    key: str
    title: str
    description: str
    runs: tuple[tuple[str, tuple[str, ...]], ...]  # (model, classes) per experiment
    settings: tuple[Mapping[str, Any], ...] = ()

    def configs(self, seed: int) -> list[dict[str, Any]]:
        # RunConfig's defaults are the paper preset: black, step 0.005, 100 epochs, Adadelta;
        # from_dict adds the dataset's defaults for a dataset's classes.
        extras = self.settings or tuple({} for _ in self.runs)
        return [
            RunConfig.from_dict(
                {"classes": list(classes), "model": model, "seed": seed, **extra}
            ).to_dict()
            for (model, classes), extra in zip(self.runs, extras, strict=True)
        ]


def _keys(dataset: str) -> tuple[str, ...]:
    return tuple(key for key, _ in datasets.dataset_classes(dataset))


_LINES = ("line", "line_horizontal")
_SIX = ("box", "line", "circle", "tri", "noise", "noise_blur")
SCENARIOS = {
    scenario.key: scenario
    for scenario in (
        Scenario(
            key="diversity",
            title="Lines, then + circles, then + noise (MLP)",
            description=(
                "Do more diverse classes make the line classes' images more line-like? "
                "Three MLP runs: the two lines; with both circles; with both noise classes."
            ),
            runs=(
                ("mlp", _LINES),
                ("mlp", (*_LINES, "circle", "circle_hollow")),
                ("mlp", (*_LINES, "circle", "circle_hollow", "noise", "noise_blur")),
            ),
        ),
        Scenario(
            key="architectures",
            title="MLP against CNN on six classes",
            description=(
                "Do the CNN's images correlate better with their shapes? One MLP and one "
                "CNN run on box, line, circle, triangle, noise and blurred noise."
            ),
            runs=(("mlp", _SIX), ("cnn", _SIX)),
        ),
        Scenario(
            key="decoy",
            title="Decoy digits: plain, penalty, augmentation, clean (MLP)",
            description=(
                "Does highlighting the corner patches stop a model from reading the label off "
                "them? Three MLP runs on the decoy digits (plain, with the input-gradient "
                "penalty on the patches, with counterfactual copies) and one on clean digits; "
                "compare their test accuracy."
            ),
            runs=(
                ("mlp", _keys("decoy")),
                ("mlp", _keys("decoy")),
                ("mlp", _keys("decoy")),
                ("mlp", _keys("digits")),
            ),
            settings=(
                {"highlight": "none"},
                {"highlight": "rrr", "highlight_lambda": DECOY_LAMBDA},
                {"highlight": "augment"},
                {"highlight": "none"},
            ),
        ),
    )
}
