"""The paper's comparisons, queued in one click: each scenario is a set of runs with the
paper preset, compared side by side once they finish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models_zoo.config import RunConfig


@dataclass(frozen=True)
class Scenario:
    """One of the paper's comparisons: the runs it queues, all with the paper preset."""

    key: str
    title: str
    description: str
    runs: tuple[tuple[str, tuple[str, ...]], ...]  # (model, classes) per experiment

    def configs(self, seed: int) -> list[dict[str, Any]]:
        # RunConfig's defaults are the paper preset: black, step 0.005, 100 epochs, Adadelta.
        return [
            RunConfig(classes=classes, model=model, seed=seed).to_dict()
            for model, classes in self.runs
        ]


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
    )
}
