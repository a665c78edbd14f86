"""Sweeps: many runs of one setup that differ in the seed and in one or two settings.

A sweep is planned here (which configurations, in which order) and its members that can share
one computation are grouped: members whose configurations differ only in the settings of
:data:`PER_MEMBER` train and generate together (``run_group``). Importing this module never
loads TensorFlow; ``run_group`` does, inside.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from models_zoo.config import ConfigError, RunConfig

if TYPE_CHECKING:
    from models_zoo.classes import ClassSpec
    from models_zoo.pipeline import Progress, RunResult

MIN_SEEDS = 1
MAX_SEEDS = 20
MAX_VARIED = 2
MAX_VALUES = 12
MAX_RUNS = 200

# The settings a sweep may vary. ``classes`` and ``seed`` are not among them: the seed is
# the sweep's own axis, and the classes are what every member is measured on.
VARIABLE = (
    "model",
    "step_size",
    "epochs",
    "initial_image",
    "objective",
    "optimizer",
    "learning_rate",
    "batch_size",
    "copies",
    "l2",
    "tv",
    "highlight",
    "highlight_lambda",
    "mlp_layers",
    "cnn_filters",
    "cnn_dense",
)

# Settings that may differ between members of one stacked computation: each member carries
# its own value. Any other difference puts the members in separate groups.
PER_MEMBER = ("seed",)

GroupProgressCallback = Callable[["Progress"], bool | None]


@dataclass(frozen=True)
class Member:
    """One run of a sweep: its place, its seed, the varied settings' values, its settings."""

    index: int
    seed: int
    values: dict[str, Any]
    config: RunConfig


def _seeds(base_seed: int, count: int) -> list[int]:
    return [base_seed + i for i in range(count)]


def plan(
    base: RunConfig,
    seeds: int,
    vary: Mapping[str, Sequence[Any]] | None = None,
    *,
    variable: Sequence[str] = VARIABLE,
    max_runs: int = MAX_RUNS,
) -> list[Member]:
    """Every member of a sweep, setting values outermost and seeds innermost.

    Raises :class:`ConfigError` naming ``seeds``, ``vary`` or ``vary.<setting>``.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int):
        raise ConfigError("seeds", "must be a whole number")
    if not MIN_SEEDS <= seeds <= MAX_SEEDS:
        raise ConfigError("seeds", f"must be from {MIN_SEEDS} to {MAX_SEEDS}, not {seeds}")
    vary = dict(vary or {})
    if len(vary) > MAX_VARIED:
        raise ConfigError("vary", f"vary at most {MAX_VARIED} settings, not {len(vary)}")
    axes: list[tuple[str, list[Any]]] = []
    for name, values in vary.items():
        field = f"vary.{name}"
        if name not in variable:
            raise ConfigError(field, f"cannot be varied; choose from {', '.join(variable)}")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise ConfigError(field, "must be a list of values")
        if not values:
            raise ConfigError(field, "must list at least one value")
        if len(values) > MAX_VALUES:
            raise ConfigError(field, f"list at most {MAX_VALUES} values, not {len(values)}")
        checked = []
        for value in values:
            try:
                config = base.replace(**{name: value})
            except ConfigError as error:
                raise ConfigError(field, f"{value!r}: {error.message}") from None
            checked.append(getattr(config, name))
        if len({repr(value) for value in checked}) != len(checked):
            raise ConfigError(field, "lists a value twice")
        axes.append((name, checked))
    combos = list(itertools.product(*(values for _, values in axes))) if axes else [()]
    total = len(combos) * seeds
    if total > max_runs:
        raise ConfigError(
            "seeds",
            f"{len(combos)} setting combinations x {seeds} seeds make {total} runs; "
            f"a sweep may have at most {max_runs}",
        )
    members: list[Member] = []
    for combo in combos:
        chosen = {name: value for (name, _), value in zip(axes, combo, strict=True)}
        for seed in _seeds(base.seed, seeds):
            config = base.replace(**chosen, seed=seed)
            members.append(Member(len(members), seed, chosen, config))
    return members


def group_key(config: RunConfig) -> tuple[Any, ...]:
    """Members with equal keys train and generate as one computation."""
    data = config.to_dict()
    for name in PER_MEMBER:
        data.pop(name, None)
    return tuple(sorted((name, repr(value)) for name, value in data.items()))


def groups(members: Sequence[Member], max_images: int | None = None) -> list[list[Member]]:
    """The members split into groups that share one computation, in sweep order.

    A stacked computation holds every member's training data (and more: measured, 17 to
    25 KB a training image all told), so with ``max_images`` a group whose members have more
    training images together is cut into consecutive parts of nearly equal size, each within
    it where a member alone is (a member above it alone is a part of its own)."""
    from models_zoo.budget import training_images

    found: dict[tuple[Any, ...], list[Member]] = {}
    for member in members:
        found.setdefault(group_key(member.config), []).append(member)
    if max_images is None:
        return list(found.values())
    out: list[list[Member]] = []
    for group in found.values():
        each = training_images(group[0].config)  # members differ only in the seed
        per_part = max(1, max_images // each)
        count = -(-len(group) // per_part)
        base, extra = divmod(len(group), count)
        start = 0
        for part in range(count):
            size = base + (1 if part < extra else 0)
            out.append(group[start : start + size])
            start += size
    return out


def run_group(
    configs: Sequence[RunConfig],
    classes: Sequence[ClassSpec],
    *,
    on_progress: GroupProgressCallback | None = None,
) -> list[RunResult]:
    """Trains and visualizes every configuration of one group; results in the same order,
    each as ``pipeline.run`` would return it for that configuration alone.

    The members train and generate as one stacked computation (``models_zoo.stacked``);
    a group whose model cannot be stacked is made one run after another.

    ``on_progress`` sees the whole group's progress; answering True cancels the group
    (``models_zoo.Cancelled``).
    """
    if not configs:
        return []
    keys = {group_key(config) for config in configs}
    if len(keys) != 1:
        raise ValueError("a group's configurations may differ only in " + ", ".join(PER_MEMBER))
    from models_zoo import pipeline
    from models_zoo.classes import resolve
    from models_zoo.pipeline import Progress
    from models_zoo.stacked import run_stacked

    specs = list(classes) if classes is not None else resolve(configs[0].classes)
    if [spec.key for spec in specs] != list(configs[0].classes):
        raise ValueError("the class specifications do not match config.classes")
    stacked = run_stacked(list(configs), specs, on_progress)
    if stacked is not None:
        return stacked
    results = []
    count = len(configs)
    for index, config in enumerate(configs):

        def member_progress(progress: Progress, index: int = index) -> bool | None:
            if on_progress is None:
                return None
            fraction = (index + progress.fraction) / count
            return on_progress(
                Progress(progress.phase, progress.done, progress.total, fraction, progress.metrics)
            )

        results.append(pipeline.run(config, specs, on_progress=member_progress))
    return results
