"""Class specifications: what one class of a run looks like, from the catalogue or a drawing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models_zoo import shapes

SHAPE = (shapes.SIZE, shapes.SIZE)


class ClassImageError(ValueError):
    """A class image or mask is not a 28x28 array of finite values in [0, 1]."""


def check_image(image: object, what: str = "image") -> np.ndarray:
    """Returns ``image`` as a float32 28x28 array, or raises :class:`ClassImageError`."""
    try:
        array = np.asarray(image, dtype=np.float32)
    except (TypeError, ValueError):
        raise ClassImageError(f"{what} must be a 28x28 array of numbers") from None
    if array.shape != SHAPE:
        raise ClassImageError(f"{what} must be 28x28, not {'x'.join(map(str, array.shape))}")
    if not np.all(np.isfinite(array)):
        raise ClassImageError(f"{what} contains values that are not finite numbers")
    if array.min() < 0.0 or array.max() > 1.0:
        raise ClassImageError(f"{what} values must lie in [0, 1]")
    return array


@dataclass(frozen=True, eq=False)
class ClassSpec:
    """One class of a run.

    ``image`` is the clean template of a fixed class. ``noise`` names a catalogue noise class
    ("noise" or "noise_blur") whose every training copy and template is a fresh random draw.
    ``relevant`` and ``irrelevant`` are optional 28x28 masks in [0, 1] painted by a user: the
    part that is the class, and the part that must not matter.
    """

    key: str
    name: str
    image: np.ndarray | None = None
    noise: str | None = None
    relevant: np.ndarray | None = None
    irrelevant: np.ndarray | None = None

    def __post_init__(self) -> None:
        if (self.image is None) == (self.noise is None):
            raise ClassImageError(f"class {self.key!r} needs exactly one of image or noise")
        if self.image is not None:
            object.__setattr__(self, "image", check_image(self.image, f"class {self.key!r}"))
        elif not shapes.get(self.noise or "").is_noise:
            raise ClassImageError(f"{self.noise!r} is not a noise class")
        for mask in ("relevant", "irrelevant"):
            value = getattr(self, mask)
            if value is not None:
                object.__setattr__(self, mask, check_image(value, f"{mask} mask of {self.key!r}"))

    @classmethod
    def from_catalogue(cls, key: str) -> ClassSpec:
        shape = shapes.get(key)
        if shape.is_noise:
            return cls(key=key, name=shape.name, noise=key)
        return cls(key=key, name=shape.name, image=shape.image())

    @property
    def is_noise(self) -> bool:
        return self.noise is not None

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One clean image of the class: the template, or a fresh draw for noise classes."""
        if self.image is not None:
            return self.image
        return shapes.image(self.noise or "", rng)


def resolve(keys: tuple[str, ...] | list[str]) -> list[ClassSpec]:
    """Class specifications for catalogue keys (raises ``KeyError`` for an unknown key)."""
    return [ClassSpec.from_catalogue(key) for key in keys]
