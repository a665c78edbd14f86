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
            picture.load()
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
