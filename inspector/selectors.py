"""Reads of what a user's trained model does with an input, for the "inside the model"
features.

The probe runs a finished run's stored model on a drawing in numpy (``models_zoo.probe``),
never in TensorFlow: this is the web process, which must not load it (see
docs/architecture.md). Loaded networks are kept per weights file by the probe itself, so a
request costs one row read, a ``stat`` of the file and the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import QuerySet

from experiments.models import Experiment
from models_zoo import probe, probe_methods
from models_zoo.config import RunConfig

# What the probe reads of a row: its state, settings and weights, none of its results.
PROBE_FIELDS = (
    "id",
    "owner",
    "status",
    "config",
    "model_name",
    "class_keys",
    "weights",
    "weights_sha256",
)


class NotProbeable(Exception):
    """The run has no stored model to probe: not finished, or its weights file is missing,
    altered or does not fit the run's settings."""

    http_status = 409


@dataclass(frozen=True)
class ProbeAnswer:
    """The model's view of one drawing: each class's probability, in the run's class order,
    and the saliency of the pixels for the class ``explained``."""

    probabilities: list[tuple[str, float]]
    explained: str
    saliency: np.ndarray  # (28, 28): the map of ``method``
    method: str = "saliency"
    feature_maps: np.ndarray | None = None  # the chosen layer's output, (c, h, w) or (k,)
    layers: tuple[str, ...] = ()  # the layers whose feature maps can be asked for


def probeable_experiments(*, user: AbstractBaseUser) -> QuerySet[Experiment]:
    """The user's experiments with only what the probe needs; another user's are absent."""
    return Experiment.objects.filter(owner=user).only(*PROBE_FIELDS)


def _network(experiment: Experiment, config: dict[str, Any]) -> probe.Network:
    if experiment.status != Experiment.Status.DONE:
        raise NotProbeable(
            f"Only a finished experiment can be probed; this one is {experiment.status}."
        )
    if not experiment.weights.name or not experiment.weights_sha256:
        raise NotProbeable("This experiment has no stored weights to probe.")
    try:
        path = default_storage.path(experiment.weights.name)
    except NotImplementedError:
        raise NotProbeable("The probe reads weights from local storage only.") from None
    try:
        return probe.load(
            path,
            model=experiment.model_name,
            n_classes=len(experiment.class_keys),
            sha256=experiment.weights_sha256,
            sizes=config,
        )
    except probe.ProbeError as error:
        raise NotProbeable(
            f"The stored weights of this experiment cannot be probed: {error}."
        ) from None


def experiment_probe(
    *,
    experiment: Experiment,
    pixels: list[list[float]],
    class_key: str | None = None,
    method: str = "saliency",
    layer: str | None = None,
) -> ProbeAnswer:
    """What a finished ``experiment`` (one of ``probeable_experiments``) makes of ``pixels``
    (a checked 28x28 grid): the probabilities, and the saliency for ``class_key`` or, without
    one, for the most probable class. ``method`` is one of ``probe_methods.METHODS`` (the
    saliency of the class probability by default, the others as the workers compute them);
    with ``layer`` the answer also holds that layer's feature maps. An unknown class, method
    or layer is a ValidationError naming the field; a run without usable weights is
    ``NotProbeable`` (409)."""
    keys = [str(key) for key in experiment.class_keys]
    class_index = None
    if class_key is not None:
        if class_key not in keys:
            message = f"{class_key!r} is not a class of this run; choose one of {', '.join(keys)}"
            raise ValidationError({"class": [message]})
        class_index = keys.index(class_key)
    # A run stored before a setting existed ran with its default, pool_gradient included.
    config = RunConfig.with_defaults(experiment.config)
    if method not in probe_methods.METHODS:
        known = ", ".join(probe_methods.METHODS)
        raise ValidationError({"method": [f"{method!r} is not a method; choose one of {known}"]})
    network = _network(experiment, config)
    if method == "grad_cam" and not probe_methods.has_convolution(network):
        message = "grad_cam needs a convolution layer; this run's model has none"
        raise ValidationError({"method": [message]})
    maps = None
    names = [name for name, _ in probe_methods.layer_names(network.plan)]
    if layer is not None:
        if layer not in names:
            message = f"{layer!r} is not a layer of this run; choose one of {', '.join(names)}"
            raise ValidationError({"layer": [message]})
        maps = probe_methods.feature_maps(network, pixels, layer)
    reading = network.read(pixels, class_index, pool_gradient=config["pool_gradient"])
    saliency = reading.saliency
    if method != "saliency":
        saliency = probe_methods.attribute(network, pixels, reading.class_index, method)
    return ProbeAnswer(
        probabilities=[(key, float(p)) for key, p in zip(keys, reading.probabilities, strict=True)],
        explained=keys[reading.class_index],
        saliency=saliency,
        method=method,
        feature_maps=maps,
        layers=tuple(names),
    )
