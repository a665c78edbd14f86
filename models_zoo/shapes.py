"""The shape catalogue: every built-in class as a procedural 28x28 image.

Pixel ranges follow the 2017 prototype exactly (rows and columns inclusive, 0-based);
the shape is 1.0 on a background of 0.0. The two noise classes draw a new image from the
random generator they are given each time they are asked for one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

SIZE = 28


@dataclass(frozen=True)
class Shape:
    """One catalogue class: a stable key, a name for people, and how to draw it."""

    index: int
    key: str
    name: str
    draw: Callable[[np.random.Generator], np.ndarray]
    is_noise: bool = False

    def image(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """Returns the class image; noise classes need ``rng`` for a reproducible draw."""
        if rng is None:
            rng = np.random.default_rng()
        return self.draw(rng).astype(np.float32)


def _blank() -> np.ndarray:
    return np.zeros((SIZE, SIZE), dtype=np.float32)


def _box(top: int, left: int, bottom: int, right: int) -> np.ndarray:
    img = _blank()
    img[top : bottom + 1, left : right + 1] = 1.0
    return img


def _disc(
    center: tuple[float, float], radius: float, patch: tuple[int, int, int, int]
) -> np.ndarray:
    """A disc (distance <= radius) cut to the inclusive patch ``(top, left, bottom, right)``."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    inside = (rows - center[0]) ** 2 + (cols - center[1]) ** 2 <= radius**2
    top, left, bottom, right = patch
    in_patch = (rows >= top) & (rows <= bottom) & (cols >= left) & (cols <= right)
    return (inside & in_patch).astype(np.float32)


def _triangle(apex_row: int, apex_col: int, height: int) -> np.ndarray:
    """An apex-up triangle: row ``i`` below the apex spans ``apex_col - i .. apex_col + i``."""
    img = _blank()
    for i in range(height):
        row = apex_row + i
        if 0 <= row < SIZE:
            img[row, max(apex_col - i, 0) : min(apex_col + i, SIZE - 1) + 1] = 1.0
    return img


def _shift_rows(img: np.ndarray, rows: int) -> np.ndarray:
    """Moves an image down (positive) or up (negative), filling with background."""
    out = _blank()
    if rows >= 0:
        out[rows:] = img[: SIZE - rows]
    else:
        out[:rows] = img[-rows:]
    return out


def box() -> np.ndarray:
    return _box(7, 7, 20, 20)


def box_hollow() -> np.ndarray:
    return box() - _box(9, 9, 18, 18)


def line() -> np.ndarray:
    return _box(7, 13, 20, 14)


def line_horizontal() -> np.ndarray:
    return _box(13, 7, 14, 20)


def circle() -> np.ndarray:
    return _disc((14, 14), 8, (7, 7, 21, 21))


def circle_hollow() -> np.ndarray:
    return circle() - _disc((14, 14), 5, (7, 7, 21, 21))


def tri() -> np.ndarray:
    return _triangle(9, 14, 10)


def tri_hollow() -> np.ndarray:
    # The inner triangle sits two rows below the apex and ends above the base row, so the
    # outline is two pixels wide along the sides and the base stays solid.
    inner = _triangle(11, 14, 7)
    return tri() - inner


def house() -> np.ndarray:
    return np.maximum(_shift_rows(box(), 5), _shift_rows(tri(), -7))


def noise(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.0, 1.0, (SIZE, SIZE)).astype(np.float32)


def noise_blur(rng: np.random.Generator) -> np.ndarray:
    return gaussian_filter(noise(rng), sigma=1.0).astype(np.float32)


def _fixed(fn: Callable[[], np.ndarray]) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda _rng: fn()


_DEFINITIONS: list[tuple[str, str, Callable[[np.random.Generator], np.ndarray], bool]] = [
    ("box", "Box", _fixed(box), False),
    ("box_hollow", "Hollow box", _fixed(box_hollow), False),
    ("line", "Vertical line", _fixed(line), False),
    ("line_horizontal", "Horizontal line", _fixed(line_horizontal), False),
    ("circle", "Circle", _fixed(circle), False),
    ("circle_hollow", "Hollow circle", _fixed(circle_hollow), False),
    ("tri", "Triangle", _fixed(tri), False),
    ("tri_hollow", "Hollow triangle", _fixed(tri_hollow), False),
    ("tl", "Top-left box", _fixed(lambda: _box(0, 0, 5, 5)), False),
    ("br", "Bottom-right box", _fixed(lambda: _box(22, 22, 27, 27)), False),
    ("line_tl", "Top-left line", _fixed(lambda: _box(0, 2, 5, 3)), False),
    ("line_br", "Bottom-right line", _fixed(lambda: _box(22, 25, 27, 26)), False),
    ("circle_tl", "Top-left circle", _fixed(lambda: _disc((3, 3), 2, (0, 0, 6, 6))), False),
    (
        "circle_br",
        "Bottom-right circle",
        _fixed(lambda: _disc((24, 24), 2, (21, 21, 27, 27))),
        False,
    ),
    ("tri_tl", "Top-left triangle", _fixed(lambda: _triangle(0, 3, 4)), False),
    ("tri_br", "Bottom-right triangle", _fixed(lambda: _triangle(21, 24, 4)), False),
    ("noise", "Noise", noise, True),
    ("noise_blur", "Blurred noise", noise_blur, True),
    ("house", "House", _fixed(house), False),
]

CATALOGUE: dict[str, Shape] = {
    key: Shape(index=i, key=key, name=name, draw=draw, is_noise=is_noise)
    for i, (key, name, draw, is_noise) in enumerate(_DEFINITIONS)
}


def get(key: str) -> Shape:
    """Returns the catalogue entry for ``key`` or raises ``KeyError`` naming the known keys."""
    try:
        return CATALOGUE[key]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise KeyError(f"unknown class {key!r}; known classes: {known}") from None


def image(key: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """The image of catalogue class ``key`` (a fresh draw for the noise classes)."""
    return get(key).image(rng)
