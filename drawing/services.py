"""Every write to drawn classes and highlights.

Every check raises ``ValidationError`` with a message dict naming the field, and nothing is
stored unless every check passes.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from drawing.imaging import BLANK_CONTRAST
from drawing.models import Highlight, ShapeClass
from drawing.refs import drawn_id
from drawing.signals import drawn_class_saved, highlight_saved
from experiments import services as experiment_services
from experiments.models import Experiment, clean_grid
from experiments.text import clean_text
from models_zoo import datasets, shapes

MAX_NAME_LENGTH = 40
MAX_DRAWN_CLASSES = 100
NAME_MISSING = f"Give the class a name (1 to {MAX_NAME_LENGTH} characters)."
CLASS_MISSING = "name the class: a catalogue key, a dataset class (digits:3) or drawn:<id>"


def clean_name(name: Any, *, user: AbstractBaseUser, exclude_pk: int | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": [NAME_MISSING]})
    name = " ".join(name.split())
    clean_text(name, field="name")  # no invisible or bidirectional control characters
    if len(name) > MAX_NAME_LENGTH:
        message = f"keep the name to {MAX_NAME_LENGTH} characters, not {len(name)}"
        raise ValidationError({"name": [message]})
    taken = ShapeClass.objects.filter(owner=user, name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": [f"you already have a class named {name!r}"]})
    return name


def clean_pixels(value: Any) -> list[list[float]]:
    pixels = clean_grid(value, field="pixels")
    array = np.asarray(pixels, dtype=np.float64)
    if float(array.max() - array.min()) < BLANK_CONTRAST:
        raise ValidationError({"pixels": ["the drawing is blank: draw a shape first"]})
    # Four decimals are far finer than any screen shows, and keep the stored JSON small.
    return [[round(pixel, 4) for pixel in row] for row in pixels]


def _mask(value: Any, *, field: str) -> list[list[int]]:
    return [[1 if pixel > 0.5 else 0 for pixel in row] for row in clean_grid(value, field=field)]


def clean_masks(*, relevant: Any, irrelevant: Any) -> tuple[list[list[int]], list[list[int]]]:
    """The yellow and red masks as 0s and 1s (a value above 0.5 is painted): each a 28x28
    grid, no pixel both yellow and red, and at least one pixel painted."""
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
    return yellow, red


@transaction.atomic
def drawn_class_save(
    *,
    user: AbstractBaseUser,
    name: Any,
    pixels: Any,
    shape_class: ShapeClass | None = None,
    strokes: int | None = None,
) -> ShapeClass:
    """Creates a drawn class, or replaces the name and drawing of ``shape_class``.

    Experiments that trained on the class keep their own copy, so redrawing it changes none.
    ``strokes`` (the pen strokes the page counted) is not stored: it goes with the signal.
    """
    created = shape_class is None
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
    drawn_class_saved.send(
        sender=ShapeClass, shape_class=shape_class, user=user, created=created, strokes=strokes
    )
    return shape_class


@transaction.atomic
def drawn_class_delete(*, user: AbstractBaseUser, shape_class: ShapeClass) -> None:
    """Deletes the class and its highlight; past experiments keep their copy of it."""
    ShapeClass.objects.filter(pk=shape_class.pk, owner=user).delete()


def clean_highlight_class(*, user: AbstractBaseUser, ref: Any) -> ShapeClass | None:
    """The drawn class a new highlight is for (None for a catalogue class): one the user may
    highlight and has not highlighted yet; a ValidationError otherwise."""
    target = _highlight_target(user=user, ref=ref)
    if Highlight.objects.filter(owner=user, class_ref=ref).exists():
        message = f"{ref!r} already has a highlight: change it (PUT) or delete it"
        raise ValidationError({"class": [message]})
    return target


def _highlight_target(*, user: AbstractBaseUser, ref: Any) -> ShapeClass | None:
    if not isinstance(ref, str) or not ref:
        raise ValidationError({"class": [CLASS_MISSING]})
    if ref in shapes.CATALOGUE:
        if shapes.CATALOGUE[ref].is_noise:
            message = f"{ref!r} is drawn anew for every copy, so it cannot be highlighted"
            raise ValidationError({"class": [message]})
        return None
    if datasets.is_dataset_class(ref):
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
    strokes: int | None = None,
) -> Highlight:
    """Creates the user's highlight of class ``ref``, or replaces the masks of ``highlight``.

    Masks are stored as 0s and 1s (a value above 0.5 is painted). A pixel cannot be both
    yellow and red, and at least one pixel must be painted. ``strokes`` is as for a class.
    """
    created = highlight is None
    if highlight is not None:
        ref = highlight.class_ref
        shape_class = highlight.shape_class
    else:
        shape_class = clean_highlight_class(user=user, ref=ref)
    yellow, red = clean_masks(relevant=relevant, irrelevant=irrelevant)
    if highlight is None:
        highlight = Highlight(owner=user, class_ref=ref, shape_class=shape_class)
    highlight.relevant = yellow
    highlight.irrelevant = red
    highlight.full_clean()
    highlight.save()
    highlight_saved.send(
        sender=Highlight, highlight=highlight, user=user, created=created, strokes=strokes
    )
    return highlight


def highlight_delete(*, user: AbstractBaseUser, highlight: Highlight) -> None:
    Highlight.objects.filter(pk=highlight.pk, owner=user).delete()


# --- the comparison without highlighting -------------------------------------------------


@transaction.atomic
def highlight_baseline_create(*, user: AbstractBaseUser, experiment: Experiment) -> Experiment:
    """Queues the experiment again with highlighting off, the same seed and the same copy of
    its classes and masks, linked to it; an existing twin that has not failed is reused."""
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
    baseline = experiment_services.experiment_create(
        user=user,
        config={**locked.config, "highlight": "none"},
        trained_on=locked.trained_on,
        source=locked,
    )
    Experiment.objects.filter(pk=locked.pk).update(highlight_baseline=baseline)
    return baseline


# --- training again with the penalty ----------------------------------------------------

_NO_RED = (
    "none of this run's classes has a red region: paint one where the model looks for a "
    "wrong reason, then train again"
)


@transaction.atomic
def highlight_correction_create(*, user: AbstractBaseUser, experiment: Experiment) -> Experiment:
    """Queues the experiment again with the input-gradient penalty ("rrr") and the same seed,
    linked to it as its source. The run keeps its copy of the classes, with the user's
    current masks in place of the ones it was trained with; at least one class must have a
    red region."""
    from drawing.selectors import attach_highlights

    locked = Experiment.objects.select_for_update().get(pk=experiment.pk, owner=user)
    copies = copy.deepcopy(locked.trained_on)
    attach_highlights(user=user, copies=copies)
    if not any(
        item.get("irrelevant") and np.asarray(item["irrelevant"]).max() > 0.5 for item in copies
    ):
        raise ValidationError({"irrelevant": [_NO_RED]})
    return experiment_services.experiment_create(
        user=user,
        config={**locked.config, "highlight": "rrr"},
        trained_on=copies,
        source=locked,
    )
