"""Writes of the "inside the model" features: asking the worker for an attribution map.

A request for a map checks what it can without TensorFlow (the class, the method, the image
reference, a convolution for grad_cam, a finished run with stored weights), then finds or
makes the map's row. A new row is ``pending`` and its task goes to the workers after commit;
a row already pending is not sent again (unless it was sent long ago and its worker must have
died); a finished row is simply returned. Nothing here imports TensorFlow.

An ``image`` index is checked for form here and against the training set in the task, which
rebuilds that set from the run's settings (the web process cannot do it cheaply): an index
past its end leaves the row ``failed`` with ``error_field`` "image", answered as a 400.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, NamedTuple

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from experiments.models import Experiment
from inspector.models import TEMPLATE_IMAGE, AttributionMap, UnitImages
from models_zoo import architectures
from models_zoo.attribution import METHODS, region_share
from models_zoo.config import RunConfig

ATTRIBUTION_TASK_PATH = "inspector.tasks.compute_attribution"
UNITS_TASK_PATH = "inspector.tasks.compute_units"
# A pending map whose task was sent this long ago is sent again: its worker must have died.
RESEND_AFTER = timedelta(minutes=10)
_INDEX = re.compile(r"[0-9]{1,7}")


class NoStoredModel(Exception):
    """The run has no stored model to look inside: not finished, or no weights kept."""

    http_status = 409


def has_convolution(experiment: Experiment) -> bool:
    """Whether the run's model has a convolution layer, read from its layer plan."""
    config = RunConfig.with_defaults(experiment.config)
    try:
        plan = architectures.plan(experiment.model_name, len(experiment.class_keys), config)
    except KeyError:
        return False
    return any(layer.kind == "conv2d" for layer in plan)


def _check_request(
    experiment: Experiment, class_key: str | None, method: str | None, image: str
) -> None:
    keys = [str(key) for key in experiment.class_keys]
    errors: dict[str, list[str]] = {}
    if class_key not in keys:
        given = "A class is required" if not class_key else f"{class_key!r} is not a class"
        errors["class"] = [f"{given} of this run; choose one of {', '.join(keys)}"]
    if method not in METHODS:
        given = "A method is required" if not method else f"{method!r} is not a method"
        errors["method"] = [f"{given}; choose one of {', '.join(METHODS)}"]
    elif method == "grad_cam" and not has_convolution(experiment):
        errors["method"] = [
            f"grad_cam needs a convolution layer; this run's {experiment.model_name} has none"
        ]
    if image != TEMPLATE_IMAGE and not _INDEX.fullmatch(image):
        errors["image"] = [
            f"{image!r} is no image of this run; send {TEMPLATE_IMAGE!r} or the index of a "
            "training image (0, 1, ...)"
        ]
    if errors:
        raise ValidationError(errors)


def check_stored_model(experiment: Experiment) -> None:
    """Raises ``NoStoredModel`` unless the run is finished with its weights kept (their hash
    is checked by the task that loads them)."""
    if experiment.status != Experiment.Status.DONE:
        raise NoStoredModel(
            f"Only a finished experiment can be looked inside; this one is {experiment.status}."
        )
    if not experiment.weights.name or not experiment.weights_sha256:
        raise NoStoredModel("This experiment has no stored weights to look inside.")


def enqueue_attribution(*, map_id: int) -> None:
    async_task(ATTRIBUTION_TASK_PATH, map_id, task_name=f"attribution-{map_id}")


@transaction.atomic
def attribution_request(
    *,
    experiment: Experiment,
    class_key: str | None,
    method: str | None,
    image: str | None = None,
) -> AttributionMap:
    """The map of ``method`` for ``class_key`` on ``image`` ("template" by default, or a
    training index) of the user's ``experiment``: found, or made pending and sent to the
    workers. Bad fields are a ValidationError naming them; a run without a stored model is
    ``NoStoredModel`` (409)."""
    image = TEMPLATE_IMAGE if image is None else image
    _check_request(experiment, class_key, method, image)
    check_stored_model(experiment)
    row, created = AttributionMap.objects.get_or_create(
        experiment=experiment,
        class_key=class_key,
        method=method,
        image=str(int(image)) if image != TEMPLATE_IMAGE else image,
    )
    if created or _resent(row):
        map_id = row.pk
        transaction.on_commit(lambda: enqueue_attribution(map_id=map_id))
    return row


def _resent(row: AttributionMap | UnitImages) -> bool:
    """Whether ``row`` is pending since its task was sent long ago (its worker must have
    died): then it is marked as sent now, and the caller sends it again."""
    now = timezone.now()
    resent = (
        type(row)
        .objects.filter(
            pk=row.pk, status=AttributionMap.Status.PENDING, queued_at__lt=now - RESEND_AFTER
        )
        .update(queued_at=now)
    )
    return bool(resent)


def attribution_finish(
    *,
    map_id: int,
    values: list[list[float]],
    image_class: str,
    pixels: list[list[float]] | None = None,
) -> bool:
    """Stores a pending map's values and the pixels of the image it explains; False when
    the row is gone or not pending any more."""
    return bool(
        AttributionMap.objects.filter(pk=map_id, status=AttributionMap.Status.PENDING).update(
            status=AttributionMap.Status.DONE,
            values=values,
            pixels=pixels,
            image_class=image_class,
            finished_at=timezone.now(),
        )
    )


def attribution_fail(*, map_id: int, error: str, field: str = "") -> bool:
    """Marks a pending map failed with a message, and the request ``field`` it is about."""
    return bool(
        AttributionMap.objects.filter(pk=map_id, status=AttributionMap.Status.PENDING).update(
            status=AttributionMap.Status.FAILED,
            error=error,
            error_field=field,
            finished_at=timezone.now(),
        )
    )


# --- hidden units -------------------------------------------------------------------------


class UnitLayer(NamedTuple):
    name: str
    kind: str  # "dense" or "conv"
    units: int


def unit_layers(experiment: Experiment) -> list[UnitLayer]:
    """The run's dense and convolution layers in order, named from its layer plan without
    TensorFlow: ``conv_1``, ``conv_2``, ``dense_1``, ... and ``logits`` for the last dense
    layer (Keras' own names depend on what the process built before, so they are not used).
    The worker finds a layer by its place among the model's dense and convolution layers."""
    config = RunConfig.with_defaults(experiment.config)
    try:
        plan = architectures.plan(experiment.model_name, len(experiment.class_keys), config)
    except KeyError:
        return []
    weighted = [layer for layer in plan if layer.kind in ("dense", "conv2d")]
    counts = {"dense": 0, "conv": 0}
    found = []
    for place, layer in enumerate(weighted):
        kind = "conv" if layer.kind == "conv2d" else "dense"
        if kind == "dense" and place == len(weighted) - 1:
            name = "logits"
        else:
            counts[kind] += 1
            name = f"{kind}_{counts[kind]}"
        found.append(UnitLayer(name, kind, layer.size))
    return found


def enqueue_units(*, units_id: int) -> None:
    async_task(UNITS_TASK_PATH, units_id, task_name=f"units-{units_id}")


@transaction.atomic
def units_request(*, experiment: Experiment, layer: str) -> UnitImages:
    """The unit images of ``layer`` of the user's ``experiment``: found, or made pending and
    sent to the workers. An unknown layer is a ValidationError naming ``layer``; a run
    without a stored model is ``NoStoredModel`` (409)."""
    names = [found.name for found in unit_layers(experiment)]
    if layer not in names:
        message = f"{layer!r} is no dense or convolution layer of this run; choose one of "
        raise ValidationError({"layer": [message + ", ".join(names)]})
    check_stored_model(experiment)
    row, created = UnitImages.objects.get_or_create(experiment=experiment, layer=layer)
    if created or _resent(row):
        units_id = row.pk
        transaction.on_commit(lambda: enqueue_units(units_id=units_id))
    return row


def units_finish(
    *, units_id: int, kind: str, images: list[list[list[float]]], weights: list[Any] | None
) -> bool:
    """Stores a pending layer's unit images; False when the row is gone or not pending."""
    return bool(
        UnitImages.objects.filter(pk=units_id, status=UnitImages.Status.PENDING).update(
            status=UnitImages.Status.DONE,
            kind=kind,
            images=images,
            weights=weights,
            finished_at=timezone.now(),
        )
    )


def units_fail(*, units_id: int, error: str) -> bool:
    return bool(
        UnitImages.objects.filter(pk=units_id, status=UnitImages.Status.PENDING).update(
            status=UnitImages.Status.FAILED, error=error, finished_at=timezone.now()
        )
    )


def red_region(row: AttributionMap) -> list[list[int]] | None:
    """The red region of the map's class, as the run kept it; None without one."""
    item = next((c for c in row.experiment.trained_on if c["key"] == row.class_key), None)
    mask = None if item is None else item.get("irrelevant")
    if not mask or np.asarray(mask).max() <= 0.5:
        return None
    return (np.asarray(mask) > 0.5).astype(int).tolist()


def red_share(row: AttributionMap, mask: list[list[int]]) -> float | None:
    """The share of a finished map's absolute attribution inside ``mask``; None for a map
    that is zero everywhere."""
    return region_share(np.asarray(row.values, np.float64), np.asarray(mask, np.float64))
