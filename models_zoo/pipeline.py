"""One train-and-visualize run, start to finish: the function everything else calls."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from models_zoo import Cancelled, architectures
from models_zoo.classes import ClassSpec, resolve
from models_zoo.config import RunConfig
from models_zoo.data import (
    Dataset,
    build_dataset,
    build_image_dataset,
    build_test_set,
    is_dataset_run,
)
from models_zoo.highlight import RegionEffect, effects
from models_zoo.metrics import abs_pearson, mean_and_sd
from models_zoo.metrics import cross_r as cross_r_matrix
from models_zoo.streams import streams
from models_zoo.tf_env import seed_everything
from models_zoo.training import TrainingOutcome, TrainingStopped, train

if TYPE_CHECKING:
    from models_zoo.generation import Generated

# Share of the progress bar given to training; image generation takes the rest.
TRAIN_SHARE = 0.85


@dataclass(frozen=True)
class Progress:
    phase: str  # "train" or "generate"
    done: int
    total: int
    fraction: float
    metrics: dict[str, float] = field(default_factory=dict)


ProgressCallback = Callable[[Progress], bool | None]


@dataclass(eq=False)
class ExtraImage:
    """One more image generated for a class from another start (``RunConfig.diversity``)."""

    image: np.ndarray
    r: float | None
    steps: int
    reached: bool
    probability: float
    start: str  # the initial-image kind it started from

    def to_json(self) -> dict[str, Any]:
        return {
            "r": self.r,
            "steps": self.steps,
            "reached": self.reached,
            "probability": self.probability,
            "start": self.start,
        }


@dataclass(eq=False)
class ClassOutcome:
    """A class's generated image measured against its template. With ``diversity`` K > 1
    the first of its K images is the one above, the others are in ``extras``."""

    key: str
    name: str
    template: np.ndarray
    image: np.ndarray
    r: float | None
    steps: int
    reached: bool
    probability: float
    snapshots: np.ndarray | None = None
    extras: list[ExtraImage] = field(default_factory=list)

    @property
    def all_r(self) -> list[float | None]:
        """|r| of each of the class's images, the first image's first."""
        return [self.r, *(extra.r for extra in self.extras)]

    @property
    def mean_r(self) -> float | None:
        """The mean |r| over the class's images that have one; None when none has."""
        return mean_and_sd(self.all_r)[0]

    @property
    def sd_r(self) -> float | None:
        """The sample standard deviation of those |r|; None with fewer than two."""
        return mean_and_sd(self.all_r)[1]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "name": self.name,
            "r": self.r,
            "steps": self.steps,
            "reached": self.reached,
            "probability": self.probability,
        }
        if self.extras:
            out["extras"] = [extra.to_json() for extra in self.extras]
            out["mean_r"], out["sd_r"] = self.mean_r, self.sd_r
        return out


@dataclass(eq=False)
class RunResult:
    config: RunConfig
    classes: list[ClassOutcome]
    training: TrainingOutcome
    cross_r: list[list[float | None]]
    timings: dict[str, float]
    model: Any = None
    highlight_effects: list[RegionEffect] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "accuracy": self.training.accuracy,
            "val_accuracy": self.training.val_accuracy,
            "loss": self.training.loss,
            "val_loss": self.training.val_loss,
            "test_accuracy": self.training.test_accuracy,
            "training": self.training.to_json(),
            "classes": [outcome.to_json() for outcome in self.classes],
            "cross_r": self.cross_r,
            "timings": self.timings,
            "highlight_effects": [effect.to_json() for effect in self.highlight_effects],
        }


def templates(classes: Sequence[ClassSpec], seed: int) -> list[np.ndarray]:
    """Clean class images for |r|; noise classes get a new draw, so |r| near 0 is expected."""
    rng = streams(seed).template
    return [spec.sample(rng) for spec in classes]


def visualize(
    model: Any,
    config: RunConfig,
    classes: Sequence[ClassSpec],
    *,
    on_progress: ProgressCallback | None = None,
    progress_offset: float = 0.0,
) -> list[ClassOutcome]:
    """Generates one image per class with ``model`` and measures it against the templates."""
    from models_zoo.generation import GenerationStopped, generate, starting_batch

    share = 1.0 - progress_offset

    def on_step(done: int, total: int) -> bool | None:
        if on_progress is None:
            return None
        fraction = progress_offset + share * min(done / max(total, 1), 1.0)
        return on_progress(Progress("generate", done, total, fraction))

    start, targets = starting_batch(config, len(classes))
    try:
        generated = generate(
            model, len(classes), config, start=start, targets=targets, on_step=on_step
        )
    except GenerationStopped as stop:
        raise Cancelled(str(stop)) from None
    outcomes = class_outcomes(config, classes, generated)
    if on_progress is not None:
        on_progress(Progress("generate", config.max_steps, config.max_steps, 1.0))
    return outcomes


def class_outcomes(
    config: RunConfig, classes: Sequence[ClassSpec], generated: Generated
) -> list[ClassOutcome]:
    """Each class's generated images measured against its template. ``generated`` holds the
    images of ``generation.starting_batch(config, len(classes))``, in its order: one block
    of one image per class for each of the ``config.diversity`` starts."""
    from models_zoo.generation import start_kinds

    n = len(classes)
    kinds = start_kinds(config)
    outcomes = []
    for index, (spec, template) in enumerate(
        zip(classes, templates(classes, config.seed), strict=True)
    ):
        image = generated.images[index]
        extras = [
            ExtraImage(
                image=generated.images[at],
                r=abs_pearson(template, generated.images[at]),
                steps=int(generated.steps[at]),
                reached=bool(generated.reached[at]),
                probability=float(generated.probabilities[at]),
                start=kinds[block],
            )
            for block in range(1, config.diversity)
            for at in [block * n + index]
        ]
        outcomes.append(
            ClassOutcome(
                key=spec.key,
                name=spec.name,
                template=template,
                image=image,
                r=abs_pearson(template, image),
                steps=int(generated.steps[index]),
                reached=bool(generated.reached[index]),
                probability=float(generated.probabilities[index]),
                snapshots=None if generated.snapshots is None else generated.snapshots[:, index],
                extras=extras,
            )
        )
    return outcomes


def cross_r(outcomes: Sequence[ClassOutcome]) -> list[list[float | None]]:
    return cross_r_matrix([o.image for o in outcomes], [o.template for o in outcomes])


def prepare(
    config: RunConfig, specs: Sequence[ClassSpec]
) -> tuple[Dataset, Dataset, Dataset | None]:
    """The run's whole training data, and its training and validation parts. A dataset
    run takes its dataset's training images of the chosen classes (``copies`` and
    ``noise_amplitude`` do not apply); a shapes run makes noisy copies of its templates."""
    highlight = config.highlight
    options: dict[str, Any] = {
        "seed": config.seed,
        "masks": highlight == "rrr",
        "outside_relevant": config.highlight_outside_relevant,
        "augment_irrelevant": highlight == "augment",
    }
    if is_dataset_run(specs):
        data = build_image_dataset(specs, **options)
    else:
        data = build_dataset(
            specs, copies=config.copies, noise_amplitude=config.noise_amplitude, **options
        )
    train_set, val_set = data.split(config.validation_split)
    return data, train_set, val_set


def run(
    config: RunConfig,
    classes: Sequence[ClassSpec] | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Builds the data and model, trains, generates the class images and measures them."""
    started = time.perf_counter()
    specs = list(classes) if classes is not None else resolve(config.classes)
    if [spec.key for spec in specs] != list(config.classes):
        raise ValueError("the class specifications do not match config.classes")
    seed_everything(config.seed)
    data, train_set, val_set = prepare(config, specs)
    model = architectures.build(config.model, len(specs), config)
    built = time.perf_counter()

    def on_epoch(epoch: int, metrics: dict[str, float]) -> bool | None:
        if on_progress is None:
            return None
        fraction = TRAIN_SHARE * epoch / config.epochs
        return on_progress(Progress("train", epoch, config.epochs, fraction, metrics))

    try:
        training = train(model, train_set, val_set, config, on_epoch)
    except TrainingStopped as stop:
        raise Cancelled(str(stop)) from None
    training.measure(model, data, train_set, val_set)
    training.measure_test(model, build_test_set(specs))
    trained = time.perf_counter()
    outcomes = visualize(model, config, specs, on_progress=on_progress, progress_offset=TRAIN_SHARE)
    finished = time.perf_counter()
    region_effects = effects(model, specs, [outcome.image for outcome in outcomes])
    return RunResult(
        config=config,
        classes=outcomes,
        training=training,
        cross_r=cross_r(outcomes),
        timings={
            "build_s": built - started,
            "train_s": trained - built,
            "visualize_s": finished - trained,
        },
        model=model,
        highlight_effects=region_effects,
    )
