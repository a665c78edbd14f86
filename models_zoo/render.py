"""Images for people: PNG bytes of single images and the CLI's result grid (Pillow, no TF)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw


def to_uint8(image: np.ndarray, normalise: bool = True) -> np.ndarray:
    """Min-max scales ``image`` to 0..255 (as the paper displays it); a constant image is grey."""
    array = np.asarray(image, dtype=np.float64)
    if normalise:
        low, high = float(np.min(array)), float(np.max(array))
        if not np.isfinite(low) or not np.isfinite(high) or high - low < 1e-12:
            return np.full(array.shape, 128, dtype=np.uint8)
        array = (array - low) / (high - low)
    return np.clip(np.round(array * 255.0), 0, 255).astype(np.uint8)


def to_image(image: np.ndarray, scale: int = 1, normalise: bool = True) -> Image.Image:
    picture = Image.fromarray(to_uint8(image, normalise), mode="L")
    if scale > 1:
        picture = picture.resize(
            (picture.width * scale, picture.height * scale), Image.Resampling.NEAREST
        )
    return picture


def to_png(image: np.ndarray, scale: int = 1, normalise: bool = True) -> bytes:
    buffer = io.BytesIO()
    to_image(image, scale, normalise).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def grid_png(
    templates: Sequence[np.ndarray],
    generated: Sequence[np.ndarray],
    captions: Sequence[str],
    scale: int = 4,
) -> bytes:
    """A row of original shapes above a row of generated images, a caption under each column."""
    cell = 28 * scale
    gap = 8
    caption_height = 28
    width = len(templates) * (cell + gap) + gap
    height = 2 * cell + 3 * gap + caption_height
    canvas = Image.new("L", (width, height), color=255)
    draw = ImageDraw.Draw(canvas)
    for column, (template, image, caption) in enumerate(
        zip(templates, generated, captions, strict=True)
    ):
        left = gap + column * (cell + gap)
        canvas.paste(to_image(template, scale), (left, gap))
        canvas.paste(to_image(image, scale), (left, 2 * gap + cell))
        for line_number, line in enumerate(caption.splitlines()[:2]):
            draw.text((left, 3 * gap + 2 * cell + line_number * 12), line, fill=0)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
