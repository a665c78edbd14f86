"""Run configuration: every setting of one train-and-visualize run, validated in one place.

``RunConfig()`` with only ``classes`` given is the ``paper`` preset: every default of the
2017 prototype (MLP, black initial image, step 0.005, 100 epochs, Adadelta with learning
rate 1.0, batch size 4, probability objective, no clipping). The web platform, the API and
the command line all build their configurations through :meth:`RunConfig.from_dict`, so a
bad value gets the same message, naming the field, wherever it comes from.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from models_zoo import datasets
from models_zoo.architectures import ARCHITECTURES, PAPER_SIZES

SEED_MAX = 2**31 - 1

# Inclusive bounds of every numeric field. Strict bounds are noted in STRICT_MIN / STRICT_MAX.
LIMITS: dict[str, tuple[float, float]] = {
    "step_size": (0.0, 1.0),
    "epochs": (1, 1000),
    "seed": (0, SEED_MAX),
    "learning_rate": (0.0, 10.0),
    "batch_size": (1, 256),
    "validation_split": (0.0, 0.5),
    "copies": (1, 100),
    "noise_amplitude": (0.0, 0.5),
    "threshold": (0.0, 1.0),
    "max_steps": (1, 20000),
    "l2": (0.0, 10.0),
    "tv": (0.0, 10.0),
    "blur_every": (0, 1000),
    "jitter": (0, 8),
    "snapshot_every": (0, 20000),
    "highlight_lambda": (0.0, 1e6),
    "cnn_dense": (8, 512),
    "diversity": (1, 8),
}
STRICT_MIN = {"step_size", "learning_rate", "threshold"}
STRICT_MAX = {"threshold"}

CHOICES: dict[str, tuple[str, ...]] = {
    "initial_image": ("black", "white", "noise", "noise_blur"),
    "optimizer": ("adadelta", "adam"),
    "objective": ("probability", "logit"),
    "highlight": ("none", "rrr", "augment"),
    "diversity_starts": ("noise", "kinds"),
    # How image generation sends a max-pool window's gradient back: "shared" by every tied
    # maximum, each getting the whole of it (the paper's Theano-era prototype), or "single",
    # all to one element (TensorFlow's own kernel). The forward pass is the same.
    "pool_gradient": ("shared", "single"),
}


class ListLimit(NamedTuple):
    """The bounds of a list-valued setting: how many entries, and each entry's range."""

    fewest: int
    most: int
    low: int
    high: int
    entry: str  # what one entry is called in messages: "layer width", "filter count"


# The model's shape. The bounds keep the dearest run of the paper's settings, with eight
# images per class, under the web platform's default limit per run of 300 s on two cores
# (``models_zoo.budget`` prices the shapes; docs/ml-core.md has the figures).
LIST_LIMITS: dict[str, ListLimit] = {
    "mlp_layers": ListLimit(1, 4, 1, 512, "layer width"),
    "cnn_filters": ListLimit(1, 3, 1, 64, "filter count"),
}

DEFAULT_LEARNING_RATES = {"adadelta": 1.0, "adam": 0.001}
DEFAULT_HIGHLIGHT_LAMBDA = 10.0
MIN_CLASSES = 2
MAX_CLASSES = 32

# The settings that only image generation reads: a re-visualization of stored weights may
# change these and nothing else (the rest produced the weights).
GENERATION_FIELDS = (
    "initial_image",
    "step_size",
    "objective",
    "threshold",
    "max_steps",
    "clip",
    "l2",
    "tv",
    "blur_every",
    "jitter",
    "snapshot_every",
    "seed",
    "diversity",
    "diversity_starts",
    "pool_gradient",
)

# The paper's choices in the UI (other values within LIMITS are allowed too).
STEP_SIZE_CHOICES = (0.001, 0.005, 0.01)
EPOCH_CHOICES = (50, 100, 150, 200, 250)


class ConfigError(ValueError):
    """A setting is missing or out of range; ``field`` names it for forms and APIs."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one run. Build with :meth:`from_dict` or the constructor + validate."""

    classes: tuple[str, ...] = ()
    model: str = "mlp"
    initial_image: str = "black"
    step_size: float = 0.005
    epochs: int = 100
    seed: int = 0
    optimizer: str = "adadelta"
    learning_rate: float | None = None
    batch_size: int = 4
    validation_split: float = 0.2
    copies: int = 10
    noise_amplitude: float = 0.01
    objective: str = "probability"
    threshold: float = 0.99
    max_steps: int = 2000
    clip: bool = False
    l2: float = 0.0
    tv: float = 0.0
    blur_every: int = 0
    jitter: int = 0
    snapshot_every: int = 0
    highlight: str = "none"
    highlight_lambda: float = DEFAULT_HIGHLIGHT_LAMBDA
    highlight_outside_relevant: bool = False
    # The model's shape; each architecture reads only its own (``ArchitectureInfo.sizes``).
    mlp_layers: tuple[int, ...] = PAPER_SIZES["mlp_layers"]
    cnn_filters: tuple[int, ...] = PAPER_SIZES["cnn_filters"]
    cnn_dense: int = PAPER_SIZES["cnn_dense"]
    # Images generated per class (the first from ``initial_image``, as with one), and where
    # the others start: new noise draws, or the initial-image kinds in turn.
    diversity: int = 1
    diversity_starts: str = "noise"
    pool_gradient: str = "shared"

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(self.classes))
        for name in LIST_LIMITS:
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        self._check()

    @property
    def effective_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return DEFAULT_LEARNING_RATES[self.optimizer]

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Builds a validated configuration, coercing strings from forms and command lines."""
        if not isinstance(data, Mapping):
            raise ConfigError("config", "must be an object of settings")
        known = set(cls.field_names())
        for key in data:
            if key not in known:
                raise ConfigError(str(key), "is not a setting")
        kwargs: dict[str, Any] = {}
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        for key, value in data.items():
            kwargs[key] = _coerce(key, str(types[key]), value)
        for key, value in dataset_defaults(kwargs.get("classes", ())).items():
            kwargs.setdefault(key, value)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.field_names()}
        out["classes"] = list(self.classes)
        for name in LIST_LIMITS:
            out[name] = list(out[name])
        return out

    @classmethod
    def with_defaults(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """A stored configuration with every setting it lacks at its default (a run stored
        before a setting existed ran with that setting's default), as ``to_dict`` writes it."""
        out = dict(data)
        for item in dataclasses.fields(cls):
            if item.name not in out and item.default is not dataclasses.MISSING:
                default = item.default
                out[item.name] = list(default) if isinstance(default, tuple) else default
        return out

    def replace(self, **changes: Any) -> RunConfig:
        return RunConfig.from_dict({**self.to_dict(), **changes})

    def _check(self) -> None:
        if len(self.classes) < MIN_CLASSES:
            raise ConfigError("classes", f"select at least {MIN_CLASSES} classes")
        if len(self.classes) > MAX_CLASSES:
            raise ConfigError("classes", f"select at most {MAX_CLASSES} classes")
        for key in self.classes:
            if not isinstance(key, str) or not key:
                raise ConfigError("classes", "each class must be a non-empty name")
        if len(set(self.classes)) != len(self.classes):
            raise ConfigError("classes", "a class is selected twice")
        check_one_dataset(self.classes)
        if self.model not in ARCHITECTURES:
            known = ", ".join(ARCHITECTURES)
            raise ConfigError("model", f"unknown model {self.model!r}; choose one of {known}")
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(name, f"must be one of {', '.join(allowed)}, not {value!r}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is None and name == "learning_rate":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(name, "must be a number")
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(name, "must be a finite number")
            too_low = value <= low if name in STRICT_MIN else value < low
            too_high = value >= high if name in STRICT_MAX else value > high
            if too_low or too_high:
                lo = f"more than {low:g}" if name in STRICT_MIN else f"at least {low:g}"
                hi = f"less than {high:g}" if name in STRICT_MAX else f"at most {high:g}"
                raise ConfigError(name, f"must be {lo} and {hi}, not {_shown(value)}")
        for name in ("clip", "highlight_outside_relevant"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, "must be true or false")
        for name in LIST_LIMITS:
            check_list(name, getattr(self, name))


def check_one_dataset(classes: tuple[str, ...]) -> None:
    """A run's classes come from one dataset (shapes and drawn classes are one), and a
    dataset's classes are ones it has."""
    for key in classes:
        if datasets.dataset_of(key) != "shapes" and not datasets.is_dataset_class(key):
            raise ConfigError("classes", f"{datasets.dataset_of(key)} has no class {key!r}")
    found = list(dict.fromkeys(datasets.dataset_of(key) for key in classes))
    if len(found) > 1:
        titles = " and ".join(datasets.DATASETS[name].title.lower() for name in found)
        raise ConfigError("classes", f"choose the classes of one dataset, not {titles} together")


def dataset_defaults(classes: Any) -> dict[str, Any]:
    """The run settings that suit the dataset of ``classes`` (none for shapes, for a mix,
    or for classes that are not a list of names: the check reports those)."""
    if not isinstance(classes, tuple) or not all(isinstance(key, str) for key in classes):
        return {}
    found = {datasets.dataset_of(key) for key in classes}
    if len(found) != 1:
        return {}
    return dict(datasets.DATASETS[found.pop()].defaults)


def check_list(name: str, values: Any) -> None:
    """Checks a list-valued setting against its bounds (``LIST_LIMITS``)."""
    limit = LIST_LIMITS[name]
    if not isinstance(values, tuple):
        raise ConfigError(name, f"must be a list of {limit.entry}s")
    if not limit.fewest <= len(values) <= limit.most:
        raise ConfigError(
            name, f"list {limit.fewest} to {limit.most} {limit.entry}s, not {len(values)}"
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(name, f"each {limit.entry} must be a whole number, not {value!r}")
        if not limit.low <= value <= limit.high:
            raise ConfigError(
                name,
                f"each {limit.entry} must be from {limit.low} to {limit.high}, not {value}",
            )


def _shown(value: float) -> str:
    """A number for a message; a whole number too large for a float is not formatted as one."""
    return f"{value:g}" if abs(value) < 1e15 else "a number that large"


_INT_FIELDS = {"epochs", "seed", "batch_size", "copies", "max_steps", "blur_every", "jitter"}
_INT_FIELDS |= {"snapshot_every", "cnn_dense", "diversity"}
_BOOL_FIELDS = {"clip", "highlight_outside_relevant"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, annotation: str, value: Any) -> Any:
    """Turns strings (from forms or argv) into the field's type; other types must fit already."""
    if name == "classes":
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list | tuple):
            return tuple(value)
        raise ConfigError("classes", "must be a list of class names")
    if name in LIST_LIMITS:
        return coerce_list(name, value)
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(name, "must be true or false")
    if name == "learning_rate" and (value is None or value == ""):
        return None
    if name in _INT_FIELDS:
        if isinstance(value, bool):
            raise ConfigError(name, "must be a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ConfigError(name, "must be a whole number")
    if name in LIMITS:
        if isinstance(value, bool):
            raise ConfigError(name, "must be a number")
        if isinstance(value, int | float):
            try:
                return float(value)
            except OverflowError:  # a whole number beyond any float
                raise ConfigError(name, "is too large a number") from None
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise ConfigError(name, "must be a number")
    if not isinstance(value, str):
        raise ConfigError(name, "must be text")
    return value


def coerce_list(name: str, value: Any) -> tuple[int, ...]:
    """A list-valued setting from a list or from text such as "64, 32"; the bounds are
    checked with the rest of the configuration."""
    entry = LIST_LIMITS[name].entry
    if isinstance(value, str):
        parts: list[Any] = [part.strip() for part in value.split(",")]
        if parts == [""]:
            parts = []
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ConfigError(name, f"must be a list of {entry}s, such as 64,32")
    numbers = []
    for part in parts:
        number: int | None = None
        if isinstance(part, int) and not isinstance(part, bool):
            number = part
        elif isinstance(part, float) and part.is_integer():
            number = int(part)
        elif isinstance(part, str):
            try:
                number = int(part.strip())
            except ValueError:
                number = None
        if number is None:
            raise ConfigError(name, f"each {entry} must be a whole number, not {part!r}")
        numbers.append(number)
    return tuple(numbers)


PRESETS: dict[str, dict[str, Any]] = {
    # Every default of the 2017 prototype; classes are the user's choice.
    "paper": {
        "model": "mlp",
        "initial_image": "black",
        "step_size": 0.005,
        "epochs": 100,
        "optimizer": "adadelta",
        "learning_rate": 1.0,
        "batch_size": 4,
        "validation_split": 0.2,
        "copies": 10,
        "noise_amplitude": 0.01,
        "objective": "probability",
        "threshold": 0.99,
        "clip": False,
        "pool_gradient": "shared",
    },
}
