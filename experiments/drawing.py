"""Users' own data: drawn classes and semantic highlights (reads and writes).

A drawn class is a 28x28 image in [0, 1], light shape on a dark background like the built-in
catalogue, stored per user under a name unique to that user. Run configurations name it
``drawn:<id>`` beside catalogue keys such as ``box``. A highlight is a yellow mask (relevant:
the class itself) and a red mask (not part of the class) on one class image, catalogue or
drawn, saved per user and class. Every check here raises ``ValidationError`` with a message
dict naming the field, and nothing is stored unless every check passes.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import uuid
import warnings
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from experiments.models import IMAGE_SIZE, Experiment, Highlight, ShapeClass
from models_zoo import shapes

DRAWN_PREFIX = "drawn:"
DRAWN_PATTERN = re.compile(r"^drawn:([1-9][0-9]{0,17})$")
MAX_NAME_LENGTH = 40
MAX_DRAWN_CLASSES = 100
# A drawing whose brightest and darkest pixels differ by less than this shows no shape.
BLANK_CONTRAST = 0.05

# Uploads: PNG or JPEG, at most this many bytes and this many pixels on each side.
# MPO is the JPEG variant many cameras write.
UPLOAD_FORMATS = ("PNG", "JPEG", "MPO")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_SIDE = 4096


def drawn_ref(shape_class: ShapeClass) -> str:
    """How run configurations and highlights name a drawn class."""
    return f"{DRAWN_PREFIX}{shape_class.pk}"


def drawn_id(ref: str) -> int | None:
    """The id in ``drawn:<id>``, or None when ``ref`` is not of that form."""
    match = DRAWN_PATTERN.match(ref) if isinstance(ref, str) else None
    return int(match.group(1)) if match else None


# --- checks ------------------------------------------------------------------------------


def clean_name(name: Any, *, user: AbstractBaseUser, exclude_pk: int | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": ["Give the class a name (1 to 40 characters)."]})
    name = " ".join(name.split())
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in name):
        raise ValidationError({"name": ["use printable characters only"]})
    if len(name) > MAX_NAME_LENGTH:
        message = f"keep the name to {MAX_NAME_LENGTH} characters, not {len(name)}"
        raise ValidationError({"name": [message]})
    taken = ShapeClass.objects.filter(owner=user, name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": [f"you already have a class named {name!r}"]})
    return name


def clean_grid(value: Any, *, field: str) -> list[list[float]]:
    """A 28x28 nested list of finite numbers in [0, 1], or a ValidationError naming ``field``
    and what is wrong: the grid's size, a non-number, a NaN or an out-of-range value."""
    if not isinstance(value, list):
        raise ValidationError({field: [f"send {IMAGE_SIZE} rows of {IMAGE_SIZE} numbers"]})
    if len(value) != IMAGE_SIZE:
        message = f"must be {IMAGE_SIZE} rows of {IMAGE_SIZE} numbers, not {len(value)} rows"
        raise ValidationError({field: [message]})
    rows: list[list[float]] = []
    for index, row in enumerate(value):
        if not isinstance(row, list) or len(row) != IMAGE_SIZE:
            size = len(row) if isinstance(row, list) else "not a list"
            message = f"row {index} must hold {IMAGE_SIZE} numbers ({size})"
            raise ValidationError({field: [message]})
        cleaned: list[float] = []
        for pixel in row:
            if isinstance(pixel, bool) or not isinstance(pixel, int | float):
                message = f"row {index} holds {pixel!r}, which is not a number"
                raise ValidationError({field: [message]})
            if not math.isfinite(pixel):
                message = f"row {index} holds a value that is not a finite number"
                raise ValidationError({field: [message]})
            if not 0.0 <= pixel <= 1.0:
                message = f"row {index} holds {pixel:g}: every value must lie in [0, 1]"
                raise ValidationError({field: [message]})
            cleaned.append(float(pixel))
        rows.append(cleaned)
    return rows


def clean_pixels(value: Any) -> list[list[float]]:
    pixels = clean_grid(value, field="pixels")
    array = np.asarray(pixels, dtype=np.float64)
    if float(array.max() - array.min()) < BLANK_CONTRAST:
        raise ValidationError({"pixels": ["the drawing is blank: draw a shape first"]})
    # Four decimals are far finer than any screen shows, and keep the stored JSON small.
    return [[round(pixel, 4) for pixel in row] for row in pixels]


def _mask(value: Any, *, field: str) -> list[list[int]]:
    return [[1 if pixel > 0.5 else 0 for pixel in row] for row in clean_grid(value, field=field)]


# --- drawn classes -----------------------------------------------------------------------


def drawn_class_list(*, user: AbstractBaseUser) -> QuerySet[ShapeClass]:
    return ShapeClass.objects.filter(owner=user).order_by("created_at", "id")


def drawn_class_get(*, user: AbstractBaseUser, pk: int) -> ShapeClass:
    return get_object_or_404(ShapeClass, pk=pk, owner=user)


@transaction.atomic
def drawn_class_save(
    *,
    user: AbstractBaseUser,
    name: Any,
    pixels: Any,
    shape_class: ShapeClass | None = None,
) -> ShapeClass:
    """Creates a drawn class, or replaces the name and drawing of ``shape_class``.

    Experiments that trained on the class keep their own copy, so redrawing it changes none.
    """
    exclude = shape_class.pk if shape_class is not None else None
    cleaned_name = clean_name(name, user=user, exclude_pk=exclude)
    cleaned_pixels = clean_pixels(pixels)
    if shape_class is None:
        if ShapeClass.objects.filter(owner=user).count() >= MAX_DRAWN_CLASSES:
            message = f"you have {MAX_DRAWN_CLASSES} classes, the most allowed: delete one first"
            raise ValidationError({"non_field_errors": [message]})
        # The key must be unique per user before the id exists; it is then set from the id.
        shape_class = ShapeClass(owner=user, key=f"new-{uuid.uuid4().hex[:16]}")
    shape_class.name = cleaned_name
    shape_class.pixels = cleaned_pixels
    shape_class.full_clean()
    shape_class.save()
    if shape_class.key != f"drawn-{shape_class.pk}":
        shape_class.key = f"drawn-{shape_class.pk}"
        shape_class.save(update_fields=["key"])
    return shape_class


@transaction.atomic
def drawn_class_delete(*, user: AbstractBaseUser, shape_class: ShapeClass) -> None:
    """Deletes the class and its highlight; past experiments keep their copy of it."""
    ShapeClass.objects.filter(pk=shape_class.pk, owner=user).delete()


def drawn_copy(*, user: AbstractBaseUser, ref: str) -> dict[str, Any] | None:
    """The copy an experiment keeps of the user's drawn class ``ref``, or None when the user
    has no such class (another user's class is unknown, never shown)."""
    pk = drawn_id(ref)
    if pk is None:
        return None
    shape_class = ShapeClass.objects.filter(pk=pk, owner=user).first()
    if shape_class is None:
        return None
    return {"key": ref, "name": shape_class.name, "noise": None, "pixels": shape_class.pixels}


# --- uploads -----------------------------------------------------------------------------


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


# --- highlights --------------------------------------------------------------------------


def highlight_list(*, user: AbstractBaseUser) -> QuerySet[Highlight]:
    return Highlight.objects.filter(owner=user).order_by("class_ref")


def highlight_get(*, user: AbstractBaseUser, pk: int) -> Highlight:
    return get_object_or_404(Highlight, pk=pk, owner=user)


def _highlight_target(*, user: AbstractBaseUser, ref: Any) -> ShapeClass | None:
    """The drawn class a highlight is for (None for a catalogue class), or a ValidationError."""
    if not isinstance(ref, str) or not ref:
        raise ValidationError({"class": ["name the class: a catalogue key or drawn:<id>"]})
    if ref in shapes.CATALOGUE:
        if shapes.CATALOGUE[ref].is_noise:
            message = f"{ref!r} is drawn anew for every copy, so it cannot be highlighted"
            raise ValidationError({"class": [message]})
        return None
    pk = drawn_id(ref)
    shape_class = None if pk is None else ShapeClass.objects.filter(pk=pk, owner=user).first()
    if shape_class is None:
        raise ValidationError({"class": [f"you have no class {ref!r}"]})
    return shape_class


@transaction.atomic
def highlight_save(
    *,
    user: AbstractBaseUser,
    ref: Any,
    relevant: Any,
    irrelevant: Any,
    highlight: Highlight | None = None,
) -> Highlight:
    """Creates the user's highlight of class ``ref``, or replaces the masks of ``highlight``.

    Masks are stored as 0s and 1s (a value above 0.5 is painted). A pixel cannot be both
    yellow and red, and at least one pixel must be painted.
    """
    if highlight is not None:
        ref = highlight.class_ref
        shape_class = highlight.shape_class
    else:
        shape_class = _highlight_target(user=user, ref=ref)
        if Highlight.objects.filter(owner=user, class_ref=ref).exists():
            message = f"{ref!r} already has a highlight: change it (PUT) or delete it"
            raise ValidationError({"class": [message]})
    yellow = _mask(relevant, field="relevant")
    red = _mask(irrelevant, field="irrelevant")
    yellow_array = np.asarray(yellow)
    red_array = np.asarray(red)
    if not yellow_array.any() and not red_array.any():
        message = "both masks are empty: paint a yellow or red region (or delete the highlight)"
        raise ValidationError({"non_field_errors": [message]})
    overlap = int(np.sum(yellow_array & red_array))
    if overlap:
        message = f"{overlap} pixels are both yellow and red; a pixel can be only one of them"
        raise ValidationError({"irrelevant": [message]})
    if highlight is None:
        highlight = Highlight(owner=user, class_ref=ref, shape_class=shape_class)
    highlight.relevant = yellow
    highlight.irrelevant = red
    highlight.full_clean()
    highlight.save()
    return highlight


def highlight_delete(*, user: AbstractBaseUser, highlight: Highlight) -> None:
    Highlight.objects.filter(pk=highlight.pk, owner=user).delete()


def attach_highlights(*, user: AbstractBaseUser, copies: list[dict[str, Any]]) -> None:
    """Adds the user's masks to an experiment's copy of its classes (``relevant`` and
    ``irrelevant``, None where a class has no highlight), so the run keeps them as they were."""
    masks = {
        highlight.class_ref: highlight
        for highlight in Highlight.objects.filter(
            owner=user, class_ref__in=[item["key"] for item in copies]
        )
    }
    for item in copies:
        highlight = masks.get(item["key"])
        item["relevant"] = highlight.relevant if highlight else None
        item["irrelevant"] = highlight.irrelevant if highlight else None


def highlight_usable(*, copies: list[dict[str, Any]], outside_relevant: bool) -> bool:
    """Whether any class carries a mask that highlighting would use: a red region, or a
    yellow one when everything outside yellow counts as not part of the class."""
    for item in copies:
        if item.get("irrelevant") and np.asarray(item["irrelevant"]).max() > 0.5:
            return True
        if outside_relevant and item.get("relevant") and np.asarray(item["relevant"]).max() > 0.5:
            return True
    return False


# --- the comparison without highlighting -------------------------------------------------


@transaction.atomic
def highlight_baseline_create(*, user: AbstractBaseUser, experiment: Experiment) -> Experiment:
    """Queues the experiment again with highlighting off, the same seed and the same copy of
    its classes and masks, linked to it; an existing twin that has not failed is reused."""
    from experiments import services

    locked = Experiment.objects.select_for_update().get(pk=experiment.pk, owner=user)
    if locked.config.get("highlight", "none") == "none":
        message = "this experiment ran without highlighting: there is nothing to compare"
        raise ValidationError({"highlight": [message]})
    existing = locked.highlight_baseline
    if existing is not None and existing.status not in (
        Experiment.Status.FAILED,
        Experiment.Status.CANCELLED,
    ):
        return existing
    baseline = services.experiment_create(
        user=user,
        config={**locked.config, "highlight": "none"},
        trained_on=locked.trained_on,
        source=locked,
    )
    Experiment.objects.filter(pk=locked.pk).update(highlight_baseline=baseline)
    return baseline
