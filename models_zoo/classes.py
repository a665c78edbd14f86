"""Class specifications: what one class of a run looks like, from the catalogue or a drawing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models_zoo import datasets, shapes

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
    part that is the class, and the part that must not matter. ``dataset`` names the dataset
    of a class such as "digits:3" (its training images are the dataset's, its ``image`` the
    class's mean training image); it is None for shapes and drawn classes.
    """

    key: str
    name: str
    image: np.ndarray | None = None
    noise: str | None = None
    relevant: np.ndarray | None = None
    irrelevant: np.ndarray | None = None
    dataset: str | None = None

    def __post_init__(self) -> None:
        self._check_dataset()
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

    def _check_dataset(self) -> None:
        """A dataset class names its dataset (filled in from the key when not given)."""
        if self.dataset in (None, "shapes"):
            if datasets.is_dataset_class(self.key):
                object.__setattr__(self, "dataset", datasets.dataset_of(self.key))
            elif self.dataset is not None:
                object.__setattr__(self, "dataset", None)
            return
        if not datasets.is_dataset_class(self.key) or datasets.dataset_of(self.key) != self.dataset:
            raise ClassImageError(f"class {self.key!r} is not a class of {self.dataset!r}")
        if self.noise is not None:
            raise ClassImageError(f"class {self.key!r} of a dataset cannot be a noise class")

    @classmethod
    def from_dataset(cls, key: str) -> ClassSpec:
        """A class of a dataset, with its mean training image as its template."""
        dataset = datasets.dataset_of(key)
        name = dict(datasets.dataset_classes(dataset))[key]
        return cls(key=key, name=name, image=datasets.template(key), dataset=dataset)

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
    """Class specifications for catalogue and dataset keys (``KeyError`` for an unknown key)."""
    return [
        ClassSpec.from_dataset(key)
        if datasets.is_dataset_class(key)
        else ClassSpec.from_catalogue(key)
        for key in keys
    ]
