"""Background tasks of the "inside the model" features, run by django-q workers. Thin: take
an id, load the run's stored model, call the ML core, store through the services.

TensorFlow is imported inside the tasks, never when this module is imported: django-q forks
its workers from a parent process, and a parent that has used TensorFlow hands its children
a runtime that hangs (see docs/architecture.md).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from typing import Any, TypeVar

import numpy as np
from django.core.files.storage import default_storage

from experiments import services as experiment_services
from experiments.models import Experiment
from inspector import services
from inspector.models import TEMPLATE_IMAGE, AttributionMap, UnitImages
from models_zoo.config import RunConfig

logger = logging.getLogger(__name__)

# The rows a task computes: a map, or a layer's unit images.
M = TypeVar("M", AttributionMap, UnitImages)


def load_stored_model(experiment: Experiment) -> Any:
    """The run's model rebuilt from code with its stored weights (their SHA-256 checked)."""
    from models_zoo import persistence

    folder = tempfile.mkdtemp()
    try:
        path = os.path.join(folder, "stored.weights.h5")
        with (
            default_storage.open(experiment.weights.name, "rb") as source,
            open(path, "wb") as target,
        ):
            shutil.copyfileobj(source, target)
        return persistence.load_model(
            path,
            model=experiment.model_name,
            n_classes=len(experiment.class_keys),
            sha256=experiment.weights_sha256,
            sizes=RunConfig.with_defaults(experiment.config),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class ImageOutOfRange(Exception):
    pass


def explained_image(experiment: Experiment, class_key: str, image: str) -> tuple[np.ndarray, str]:
    """The 28 x 28 image a map explains and the key of its class: the class's template, or
    training image ``image`` of the run's training data rebuilt from its settings (in the
    order the run shuffled it, validation part last)."""
    from models_zoo import pipeline

    config = RunConfig.from_dict(experiment.config)
    specs = experiment_services.class_specs(experiment=experiment)
    keys = [spec.key for spec in specs]
    if image == TEMPLATE_IMAGE:
        return pipeline.templates(specs, config.seed)[keys.index(class_key)], class_key
    data, _, _ = pipeline.prepare(config, specs)
    index = int(image)
    if index >= len(data):
        raise ImageOutOfRange(
            f"This run has {len(data)} training images (0 to {len(data) - 1}); "
            f"there is no image {index}."
        )
    return data.x[index, :, :, 0], keys[int(data.labels[index])]


def compute_attribution(map_id: int) -> str:
    """Computes and stores one pending attribution map; a second delivery does nothing."""
    row = _pending(AttributionMap, map_id)
    if row is None:
        return "skipped"
    experiment = row.experiment
    try:
        from models_zoo import attribution

        image, image_class = explained_image(experiment, row.class_key, row.image)
        model = load_stored_model(experiment)
        keys = [str(key) for key in experiment.class_keys]
        values = attribution.attribute(
            model,
            np.asarray(image, np.float32)[np.newaxis],
            [keys.index(row.class_key)],
            row.method,
            seed=int(RunConfig.with_defaults(experiment.config)["seed"]),
        )[0]
    except ImageOutOfRange as error:
        services.attribution_fail(map_id=map_id, error=str(error), field="image")
        return "failed"
    except Exception as error:
        logger.exception("Attribution map %s failed", map_id)
        services.attribution_fail(map_id=map_id, error=_readable(error, "The map"))
        return "failed"
    grid = [[float(v) for v in line] for line in values]
    pixels = np.round(np.asarray(image, np.float64), 4).tolist()
    saved = services.attribution_finish(
        map_id=map_id, values=grid, image_class=image_class, pixels=pixels
    )
    return "done" if saved else "skipped"


def compute_units(units_id: int) -> str:
    """Computes and stores one pending layer's unit images; a second delivery does nothing."""
    row = _pending(UnitImages, units_id)
    if row is None:
        return "skipped"
    experiment = row.experiment
    try:
        from models_zoo import units

        planned = services.unit_layers(experiment)
        place = [found.name for found in planned].index(row.layer)
        model = load_stored_model(experiment)
        probes = units.layers(model)
        if [(p.kind, p.units) for p in probes] != [(f.kind, f.units) for f in planned]:
            raise ValueError("the stored model's layers differ from its run's layer plan")
        config = RunConfig.with_defaults(experiment.config)
        images = units.maximize_units(
            model,
            probes[place].name,
            seed=int(config["seed"]),
            pool_gradient=str(config["pool_gradient"]),
        )
        weights = units.first_layer_weights(model) if place == 0 else None
    except Exception as error:
        logger.exception("Unit images %s failed", units_id)
        services.units_fail(units_id=units_id, error=_readable(error, "The unit images"))
        return "failed"
    saved = services.units_finish(
        units_id=units_id,
        kind=planned[place].kind,
        images=images.astype(float).tolist(),
        weights=None if weights is None else weights.astype(float).tolist(),
    )
    return "done" if saved else "skipped"


def _pending(model: type[M], pk: int) -> M | None:
    """The row ``pk`` of ``model`` with its experiment while it is still pending, else None
    (a second delivery of the task, or a row removed meanwhile)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return (
        model.objects.select_related("experiment")
        .filter(pk=pk, status=model.Status.PENDING)
        .first()
    )


def _readable(error: BaseException, what: str) -> str:
    from models_zoo.persistence import WeightsError

    if isinstance(error, WeightsError):
        return f"The stored weights could not be used: {error}."
    if isinstance(error, OSError):
        return "The stored weights file of this experiment cannot be read."
    text = str(error).strip() or "no details were given"
    return f"{what} could not be computed ({type(error).__name__}): {text}"
