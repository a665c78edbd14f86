"""Pictures uploaded as classes: a PNG or JPEG becomes 28x28 pixels in [0, 1]."""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError

from experiments.models import IMAGE_SIZE

# A drawing whose brightest and darkest pixels differ by less than this shows no shape.
BLANK_CONTRAST = 0.05

# Uploads: PNG or JPEG, at most this many bytes and this many pixels on each side.
# MPO is the JPEG variant many cameras write.
UPLOAD_FORMATS = ("PNG", "JPEG", "MPO")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_SIDE = 4096
# A small file can decode into a huge picture (a flat 4096x4096 16-bit PNG is 37 KB): the
# decoded size (pixels x bytes per pixel) is bounded before decoding, and the picture is then
# shrunk in its own pixel type to at most WORK_SIDE a side before any float array is made.
MAX_DECODED_BYTES = 16 * 1024 * 1024
WORK_SIDE = 4 * IMAGE_SIZE
BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "La": 2, "RGB": 3, "YCbCr": 3}
BYTES_PER_PIXEL.update({"I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2})


def _decoded_bytes(picture: Any) -> int:
    per_pixel = BYTES_PER_PIXEL.get(picture.mode, 4)
    width, height = picture.size
    return int(width) * int(height) * per_pixel


def _shrink(picture: Any) -> Any:
    """The picture at most WORK_SIDE a side, reduced in its own pixel type (box filter)."""
    from PIL import Image

    width, height = picture.size
    if max(width, height) <= WORK_SIDE:
        return picture
    if picture.mode in ("1", "P", "PA"):
        has_alpha = picture.mode == "PA" or "transparency" in picture.info
        picture = picture.convert("LA" if has_alpha else "L")
    scale = WORK_SIDE / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return picture.resize(size, Image.Resampling.BOX)


def image_to_pixels(upload: Any) -> list[list[float]]:
    """A PNG or JPEG upload as 28x28 pixels in [0, 1], light shape on a dark background.

    The picture is reduced to grayscale and fitted into 28x28 keeping its proportions (the
    rest filled with its background). Transparent pictures use their opacity as the shape.
    Otherwise, when the border is lighter than mid-grey, the picture is taken to be dark ink
    on light paper (a scan, a drawing program's default) and inverted, so that the shape is
    light on dark like every catalogue class. The contrast is then stretched to [0, 1].
    """
    from PIL import Image, UnidentifiedImageError

    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        message = f"the file is larger than {MAX_UPLOAD_BYTES // 1024} KB ({size} bytes)"
        raise ValidationError({"image": [message]})
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        message = f"the file is larger than {MAX_UPLOAD_BYTES // 1024} KB"
        raise ValidationError({"image": [message]})
    if not data:
        raise ValidationError({"image": ["the file is empty"]})
    not_an_image = ValidationError({"image": ["the file is not a PNG or JPEG image"]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
            if picture.format not in UPLOAD_FORMATS:
                raise not_an_image
            width, height = picture.size
            if width > MAX_UPLOAD_SIDE or height > MAX_UPLOAD_SIDE:
                message = (
                    f"the picture is {width}x{height} pixels; "
                    f"at most {MAX_UPLOAD_SIDE} on each side"
                )
                raise ValidationError({"image": [message]})
            if picture.format in ("JPEG", "MPO"):
                # JPEG decodes straight to a fraction of its size: far less memory.
                picture.draft(picture.mode, (WORK_SIDE, WORK_SIDE))
            if _decoded_bytes(picture) > MAX_DECODED_BYTES:
                megabytes = _decoded_bytes(picture) / 2**20
                message = (
                    f"the picture is {width}x{height} pixels in {picture.mode} "
                    f"({megabytes:.0f} MB once decoded); send one of at most "
                    f"{MAX_DECODED_BYTES // 2**20} MB decoded, e.g. 2048x2048 in colour"
                )
                raise ValidationError({"image": [message]})
            picture.load()
            picture = _shrink(picture)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise not_an_image from None
    except Image.DecompressionBombWarning:
        raise ValidationError({"image": ["the picture has too many pixels"]}) from None
    return _fit(picture)


def _fit(picture: Any) -> list[list[float]]:
    from PIL import Image

    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    if has_alpha:
        alpha = picture.convert("RGBA").getchannel("A")
        if alpha.getextrema()[0] < 255:
            gray = alpha
            invert = False
        else:
            gray = picture.convert("L")
            invert = None
    elif picture.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greys: scaled by their own range rather than clipped to 8 bits.
        gray = None
        invert = None
    else:
        gray = picture.convert("L")
        invert = None
    if gray is None:
        raw = np.asarray(picture, dtype=np.float64)
        span = float(raw.max() - raw.min())
        array = (raw - raw.min()) / span if span > 0 else np.zeros_like(raw)
    else:
        array = np.asarray(gray, dtype=np.float64) / 255.0
    if invert is None:
        border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
        invert = bool(border.mean() > 0.5)
    if invert:
        array = 1.0 - array
    height, width = array.shape
    scale = IMAGE_SIZE / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray((array * 255).round().astype(np.uint8)).resize(
        new_size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST
    )
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float64)
    top = (IMAGE_SIZE - new_size[1]) // 2
    left = (IMAGE_SIZE - new_size[0]) // 2
    canvas[top : top + new_size[1], left : left + new_size[0]] = (
        np.asarray(resized, dtype=np.float64) / 255.0
    )
    low, high = float(canvas.min()), float(canvas.max())
    if high - low < BLANK_CONTRAST:
        raise ValidationError({"image": ["the picture shows no shape: it is one flat colour"]})
    stretched = (canvas - low) / (high - low)
    return [[round(float(v), 4) for v in row] for row in stretched]
