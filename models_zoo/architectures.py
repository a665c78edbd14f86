"""The architecture registry.

Each builder returns a Keras model whose output is the **logits** (softmax applied outside),
so training can use a fused cross-entropy and image generation can target either the logit
or the probability. Adding an architecture is one function plus one ``register`` line.
Keras comes from ``models_zoo.tf_env`` inside the builders, so TensorFlow starts with this
package's settings, and importing this module never loads TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

INPUT_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class ArchitectureInfo:
    name: str
    label: str
    description: str
    build: Callable[[int], Any]
    # Run the layers before the first dense layer on the two halves of each batch, as
    # independent ops on two cores (see ``training.split_layers``). It pays where per-sample
    # work dwarfs the cost of the extra ops (convolutions); for small dense models it is
    # slower. A property of the architecture, never of the machine, so a seed gives the
    # same weights everywhere. Sequential models only.
    split_batches: bool = False


ARCHITECTURES: dict[str, ArchitectureInfo] = {}


def register(
    name: str, label: str, description: str, *, split_batches: bool = False
) -> Callable[[Callable[[int], Any]], Any]:
    def decorator(build: Callable[[int], Any]) -> Callable[[int], Any]:
        ARCHITECTURES[name] = ArchitectureInfo(name, label, description, build, split_batches)
        return build

    return decorator


def list_architectures() -> list[ArchitectureInfo]:
    return list(ARCHITECTURES.values())


def build(name: str, n_classes: int) -> Any:
    """Builds a fresh, untrained model; weights come from Keras' seeded initialisers."""
    try:
        info = ARCHITECTURES[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(ARCHITECTURES)}") from None
    return info.build(n_classes)


@register("mlp", "MLP", "Two dense layers of 128 tanh units (the paper's MLP).")
def mlp(n_classes: int) -> Any:
    from models_zoo.tf_env import keras

    layers = keras.layers

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(128, activation="tanh"),
            layers.Dense(128, activation="tanh"),
            layers.Dense(n_classes, name="logits"),
        ],
        name="mlp",
    )


@register(
    "cnn",
    "CNN",
    "Two 3x3 convolutions, max pooling, dropout and a dense layer (the paper's CNN).",
    split_batches=True,
)
def cnn(n_classes: int) -> Any:
    from models_zoo.tf_env import keras

    layers = keras.layers

    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(n_classes, name="logits"),
        ],
        name="cnn",
    )


@register(
    "cnn_deep",
    "Deeper CNN",
    "Three convolution blocks with global average pooling: fewer weights, a wider view.",
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
