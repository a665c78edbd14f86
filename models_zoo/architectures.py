"""The architecture registry.

Each builder returns a Keras model whose output is the **logits** (softmax applied outside),
so training can use a fused cross-entropy and image generation can target either the logit
or the probability. Adding an architecture is one function plus one ``register`` line.
Keras comes from ``models_zoo.tf_env`` inside the builders, so TensorFlow starts with this
package's settings, and importing this module never loads TensorFlow.

An architecture may take its shape from run settings (``ArchitectureInfo.sizes``: the MLP's
``mlp_layers``, the CNN's ``cnn_filters`` and ``cnn_dense``); its builder then receives
their values as a second argument. With the settings' defaults the MLP and the CNN are the
paper's, layer for layer, so a seed gives the same weights as before the shape was a setting.

Each architecture also declares its **layer plan** beside its builder: the same layers, in
order, as plain data (``Layer``), from the same arguments. ``models_zoo.probe`` runs a
stored model's forward and backward pass in numpy from it, in a process that never loads
TensorFlow; a test checks every plan against the Keras model its builder makes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The paper's shapes: the defaults of the run settings that size the models (``RunConfig``
# takes its defaults from here, so they are written once).
PAPER_SIZES: dict[str, Any] = {
    "mlp_layers": (128, 128),
    "cnn_filters": (32, 32),
    "cnn_dense": 128,
}

INPUT_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class ArchitectureInfo:
    name: str
    label: str
    description: str
    build: Callable[..., Any]
    # Run the layers before the first dense layer on the two halves of each batch, as
    # independent ops on two cores (see ``training.split_layers``). It pays where per-sample
    # work dwarfs the cost of the extra ops (convolutions); for small dense models it is
    # slower. A property of the architecture, never of the machine, so a seed gives the
    # same weights everywhere. Sequential models only.
    split_batches: bool = False
    # The run settings that shape the model; the builder takes their values as a mapping.
    sizes: tuple[str, ...] = ()


ARCHITECTURES: dict[str, ArchitectureInfo] = {}


def register(
    name: str,
    label: str,
    description: str,
    *,
    split_batches: bool = False,
    sizes: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Any]:
    def decorator(build: Callable[..., Any]) -> Callable[..., Any]:
        ARCHITECTURES[name] = ArchitectureInfo(
            name, label, description, build, split_batches, sizes
        )
        return build

    return decorator


def list_architectures() -> list[ArchitectureInfo]:
    return list(ARCHITECTURES.values())


# The layer kinds a plan may use, named as Keras names their classes in snake case (which is
# also how a ``.weights.h5`` file names their groups).
LAYER_KINDS = (
    "flatten",
    "dense",
    "conv2d",
    "max_pooling2d",
    "dropout",
    "global_average_pooling2d",
)


@dataclass(frozen=True)
class Layer:
    """One layer of a sequential model as plain data, for running it without Keras.

    ``size`` is a dense layer's units, a convolution's filters or a pooling window's side;
    ``kernel`` a convolution's square kernel side. A pooling layer's stride is its window, as
    Keras defaults it. Dropout is kept in the plan (it does nothing at inference) so the plan
    and the Keras model have the same layers in the same order.
    """

    kind: str
    size: int = 0
    kernel: int = 0
    strides: int = 1
    padding: str = "valid"
    activation: str = "linear"


LAYER_PLANS: dict[str, Callable[..., tuple[Layer, ...]]] = {}


def layer_plan(name: str) -> Callable[[Callable[..., tuple[Layer, ...]]], Any]:
    """Registers the layer plan of architecture ``name``; it takes the builder's arguments."""

    def decorator(plan_of: Callable[..., tuple[Layer, ...]]) -> Callable[..., tuple[Layer, ...]]:
        LAYER_PLANS[name] = plan_of
        return plan_of

    return decorator


# A run configuration (any object with the settings as attributes), a mapping of settings
# (a stored configuration), or None for the paper's shapes.
Sizes = Any


def _info(name: str) -> ArchitectureInfo:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(ARCHITECTURES)}") from None


def sizes_of(name: str, sizes: Sizes = None) -> dict[str, Any]:
    """The shape settings architecture ``name`` reads, from a run configuration or a mapping
    of settings (a stored configuration); a missing one takes its default."""
    found: dict[str, Any] = {}
    for setting in _info(name).sizes:
        if isinstance(sizes, Mapping):
            value = sizes.get(setting, PAPER_SIZES[setting])
        else:
            value = getattr(sizes, setting, PAPER_SIZES[setting])
        found[setting] = tuple(value) if isinstance(value, list | tuple) else value
    return found


def shape_key(name: str, sizes: Sizes = None) -> tuple[Any, ...]:
    """What tells two models of one architecture apart, for caches of compiled graphs."""
    return (name, *sorted(sizes_of(name, sizes).items()))


def build(name: str, n_classes: int, sizes: Sizes = None) -> Any:
    """Builds a fresh, untrained model; weights come from Keras' seeded initialisers.

    ``sizes`` is the run's configuration (or a mapping of its settings) for an architecture
    whose shape is a setting; without it the model has the default shape.
    """
    info = _info(name)
    if not info.sizes:
        return info.build(n_classes)
    return info.build(n_classes, sizes_of(name, sizes))


def plan(name: str, n_classes: int, sizes: Sizes = None) -> tuple[Layer, ...]:
    """The layers ``build(name, n_classes, sizes)`` makes, in order, as plain data."""
    info = _info(name)
    try:
        plan_of = LAYER_PLANS[name]
    except KeyError:
        raise KeyError(f"model {name!r} declares no layer plan") from None
    if not info.sizes:
        return plan_of(n_classes)
    return plan_of(n_classes, sizes_of(name, sizes))


@register(
    "mlp",
    "MLP",
    "Dense layers of tanh units; by default two of 128 (the paper's MLP).",
    sizes=("mlp_layers",),
)
def mlp(n_classes: int, sizes: Mapping[str, Any]) -> Any:
    from models_zoo.tf_env import keras

    layers = keras.layers
    hidden = [layers.Dense(width, activation="tanh") for width in sizes["mlp_layers"]]
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Flatten(),
            *hidden,
            layers.Dense(n_classes, name="logits"),
        ],
        name="mlp",
    )


@layer_plan("mlp")
def mlp_plan(n_classes: int, sizes: Mapping[str, Any]) -> tuple[Layer, ...]:
    hidden = [Layer("dense", width, activation="tanh") for width in sizes["mlp_layers"]]
    return (Layer("flatten"), *hidden, Layer("dense", n_classes))


@register(
    "cnn",
    "CNN",
    "3x3 convolutions, max pooling, dropout and a dense layer; by default two convolutions "
    "of 32 filters and 128 dense units (the paper's CNN).",
    split_batches=True,
    sizes=("cnn_filters", "cnn_dense"),
)
def cnn(n_classes: int, sizes: Mapping[str, Any]) -> Any:
    from models_zoo.tf_env import keras

    layers = keras.layers
    convolutions = [layers.Conv2D(count, 3, activation="relu") for count in sizes["cnn_filters"]]
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            *convolutions,
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(sizes["cnn_dense"], activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(n_classes, name="logits"),
        ],
        name="cnn",
    )


@layer_plan("cnn")
def cnn_plan(n_classes: int, sizes: Mapping[str, Any]) -> tuple[Layer, ...]:
    convolutions = [
        Layer("conv2d", count, kernel=3, activation="relu") for count in sizes["cnn_filters"]
    ]
    return (
        *convolutions,
        Layer("max_pooling2d", 2),
        Layer("dropout"),
        Layer("flatten"),
        Layer("dense", sizes["cnn_dense"], activation="relu"),
        Layer("dropout"),
        Layer("dense", n_classes),
    )


@register(
    "cnn_deep",
    "Deeper CNN",
    "Three convolution blocks with global average pooling: fewer weights, a wider view. "
    "Its shape is fixed.",
    split_batches=True,
)
def cnn_deep(n_classes: int) -> Any:
    from models_zoo.tf_env import keras

    layers = keras.layers

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.25),
            layers.Dense(n_classes, name="logits"),
        ],
        name="cnn_deep",
    )


@layer_plan("cnn_deep")
def cnn_deep_plan(n_classes: int) -> tuple[Layer, ...]:
    return (
        Layer("conv2d", 16, kernel=3, padding="same", activation="relu"),
        Layer("max_pooling2d", 2),
        Layer("conv2d", 32, kernel=3, padding="same", activation="relu"),
        Layer("max_pooling2d", 2),
        Layer("conv2d", 64, kernel=3, padding="same", activation="relu"),
        Layer("global_average_pooling2d"),
        Layer("dropout"),
        Layer("dense", n_classes),
    )
