"""Comparing experiments: the class-aligned comparison and its CSV. Pure shaping of what the
selectors read; the pages and the API both use it.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from experiments.exports import spreadsheet_safe
from experiments.models import ClassResult, Experiment
from history.services import check_compared_ids
from history.table import class_display_name
from models_zoo import datasets, shapes
from models_zoo.config import RunConfig

# A stored snapshot array is an .npy header (well under one frame) plus 28 x 28 float32s.
FRAME_BYTES = 28 * 28 * 4

# Settings in the order a person reads them; any others follow alphabetically.
SETTING_ORDER = (
    "model",
    "classes",
    "initial_image",
    "step_size",
    "epochs",
    "seed",
    "objective",
    "threshold",
    "max_steps",
    "optimizer",
    "learning_rate",
    "batch_size",
    "copies",
    "clip",
)


def parse_ids(raw: str | None, *, field: str = "ids") -> list[int]:
    """``"3,7,9"`` as [3, 7, 9]: two or more distinct positive ids, order kept."""
    parts = [part.strip() for part in (raw or "").split(",") if part.strip()]
    try:
        ids = [int(part) for part in parts]
    except ValueError:
        raise ValidationError(
            {field: ["Give the experiments as ids separated by commas."]}
        ) from None
    return check_compared_ids(ids, field=field)


def parse_flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"1", "true", "yes", "on"}


def _setting_names(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    present = {name for config in configs for name in config}
    ordered = [name for name in SETTING_ORDER if name in present]
    return ordered + sorted(present - set(ordered))


def settings_diff(
    configs: Sequence[Mapping[str, Any]], *, show_all: bool = False
) -> list[dict[str, Any]]:
    """One row per setting: its value in each configuration and whether they differ.

    A setting one configuration lacks counts as None there, so it differs from a value.
    Without ``show_all`` only the rows that differ are kept.
    """
    rows = []
    for name in _setting_names(configs):
        values = [config.get(name) for config in configs]
        differs = any(value != values[0] for value in values[1:])
        if differs or show_all:
            rows.append({"name": name, "values": values, "differs": differs})
    return rows


def snapshot_frames(result: ClassResult) -> int:
    """How many snapshot frames a result holds, from the stored size alone."""
    size = getattr(result, "snapshot_bytes", None)
    return 0 if not size else int(size) // FRAME_BYTES


def _label(experiment: Experiment) -> str:
    return f"[{experiment.number}] {experiment.model_name.upper()}"


def _experiment_summary(experiment: Experiment) -> dict[str, Any]:
    return {
        "id": experiment.pk,
        "number": experiment.number,
        "label": _label(experiment),
        "model": experiment.model_name,
        "status": experiment.status,
        "progress": experiment.progress,
        "error": experiment.error,
        "config": experiment.config,
        "classes": experiment.class_keys,
        "seed": experiment.seed,
        "accuracy": experiment.accuracy,
        "loss": experiment.loss,
        "val_accuracy": experiment.val_accuracy,
        "val_loss": experiment.val_loss,
        "test_accuracy": experiment.test_accuracy,
        "history": experiment.history,
        "cross_r": experiment.cross_r,
        "class_names": [result.name for result in experiment.results.all()],
        "tags": experiment.tags,
        "note": experiment.note,
        "created_at": experiment.created_at.isoformat(),
    }


def _cell(result: ClassResult, base_r: float | None, is_base: bool) -> dict[str, Any]:
    delta = None
    if not is_base and result.r is not None and base_r is not None:
        delta = result.r - base_r
    pk, position = result.experiment_id, result.position
    return {
        "position": position,
        "r": result.r,
        "delta_r": delta,
        "reached": result.reached,
        "steps": result.steps,
        "probability": result.probability,
        "image_url": reverse("api:result-image", args=[pk, position]),
        "snapshot_frames": snapshot_frames(result),
        "snapshot_url": reverse("api:result-snapshot", args=[pk, position, 0]).removesuffix(
            "0.png"
        ),
    }


def _template_url(
    key: str,
    experiments: Sequence[Experiment],
    by_experiment: Mapping[int, Mapping[str, ClassResult]],
) -> str | None:
    """Where the class's clean image is: the catalogue's or the dataset's, else (a drawn
    class) the template stored with the first run that has a result for it."""
    if key in shapes.CATALOGUE:
        return reverse("api:catalogue-image", args=[key])
    if datasets.is_dataset_class(key):
        return reverse("api:dataset-class-template", args=[key])
    for experiment in experiments:
        result = by_experiment[experiment.pk].get(key)
        if result is not None:
            return reverse("api:result-template", args=[experiment.pk, result.position])
    return None


def comparison_data(
    experiments: Sequence[Experiment], *, base_id: int | None = None, show_all: bool = False
) -> dict[str, Any]:
    """The class-aligned comparison: one row per class (in order of first appearance),
    one column per experiment, None where an experiment has no result for that class."""
    base = next((e for e in experiments if e.pk == base_id), experiments[0])
    by_experiment = {
        experiment.pk: {result.class_key: result for result in experiment.results.all()}
        for experiment in experiments
    }
    names: dict[str, str] = {}
    for experiment in experiments:
        for result in experiment.results.all():
            names.setdefault(result.class_key, result.name)
        for key in experiment.class_keys:
            names.setdefault(key, class_display_name(key))
    classes = []
    for key, name in names.items():
        base_result = by_experiment[base.pk].get(key)
        base_r = base_result.r if base_result is not None else None
        cells = []
        for experiment in experiments:
            result = by_experiment[experiment.pk].get(key)
            cells.append(
                None if result is None else _cell(result, base_r, experiment.pk == base.pk)
            )
        template_url = _template_url(key, experiments, by_experiment)
        classes.append({"key": key, "name": name, "template_url": template_url, "cells": cells})
    return {
        "base": base.pk,
        "experiments": [_experiment_summary(experiment) for experiment in experiments],
        "classes": classes,
        "settings": settings_diff([_full(e) for e in experiments], show_all=show_all),
        "seed_groups": seed_groups(experiments, [str(row["key"]) for row in classes]),
    }


# --- seed groups: runs whose settings differ only in the seed ---------------------------

SEED_SETTING = "seed"


def _full(experiment: Experiment) -> dict[str, Any]:
    """The run's settings, with those added since it ran at the defaults it ran with."""
    return RunConfig.with_defaults(experiment.config)


def _group_key(experiment: Experiment) -> str:
    """What runs of one seed group share: every setting but the seed, the classes, and how
    the run was made (a re-visualization is not another seed of its source)."""
    settings = {k: v for k, v in _full(experiment).items() if k != SEED_SETTING}
    return json.dumps([settings, experiment.class_keys, experiment.kind], sort_keys=True)


def spread(values: Sequence[float]) -> dict[str, Any]:
    """The mean and the sample standard deviation (n - 1) of ``values``: no mean without a
    value, no deviation with fewer than two."""
    return {
        "n": len(values),
        "mean": statistics.fmean(values) if values else None,
        "sd": statistics.stdev(values) if len(values) > 1 else None,
    }


def _member(experiment: Experiment, value: float | None) -> dict[str, Any]:
    return {
        "id": experiment.pk,
        "number": experiment.number,
        "seed": experiment.seed,
        "value": value,
    }


def _figure(members: Sequence[Experiment], values: Sequence[float | None]) -> dict[str, Any]:
    """One figure of a unit: its members' values (each a dot), their mean and spread."""
    dots = [_member(experiment, value) for experiment, value in zip(members, values, strict=True)]
    return {**spread([value for value in values if value is not None]), "values": dots}


def _r_of(experiment: Experiment, key: str) -> float | None:
    return next((result.r for result in experiment.results.all() if result.class_key == key), None)


def seed_groups(experiments: Sequence[Experiment], class_order: Sequence[str]) -> dict[str, Any]:
    """The compared runs as units: each seed group (two or more runs whose settings are the
    same but for the seed, on the same classes) as one unit, each other run as a unit of
    its own, in the order of their first run. Per unit: accuracy, validation accuracy, test
    accuracy (where the dataset has a test split) and each class's |r| (in ``class_order``,
    None for a class it did not train) as mean and sample sd with every member's value; and
    the settings in which the units differ."""
    by_key: dict[str, list[Experiment]] = {}
    for experiment in experiments:
        by_key.setdefault(_group_key(experiment), []).append(experiment)
    groups = list(by_key.values())
    configs = [
        {k: v for k, v in _full(members[0]).items() if k != SEED_SETTING} for members in groups
    ]
    # What tells the units apart (the seed aside): said beside each unit's label.
    differing = settings_diff(configs)
    units = []
    for index, members in enumerate(groups):
        trained = set(members[0].class_keys)
        units.append(
            {
                "kind": "group" if len(members) > 1 else "run",
                "ids": [member.pk for member in members],
                "label": _unit_label(members),
                "n": len(members),
                "seeds": [member.seed for member in members],
                "settings": {row["name"]: row["values"][index] for row in differing},
                "accuracy": _figure(members, [member.accuracy for member in members]),
                "val_accuracy": _figure(members, [member.val_accuracy for member in members]),
                "test_accuracy": _figure(members, [member.test_accuracy for member in members]),
                "classes": [
                    _figure(members, [_r_of(member, key) for member in members])
                    if key in trained
                    else None
                    for key in class_order
                ],
            }
        )
    return {"units": units, "groups": sum(1 for unit in units if unit["kind"] == "group")}


def _unit_label(members: Sequence[Experiment]) -> str:
    if len(members) == 1:
        return _label(members[0])
    numbers = ", ".join(f"[{member.number}]" for member in members)
    return f"{members[0].model_name.upper()} \u00d7 {len(members)} seeds ({numbers})"


CSV_COLUMNS = (
    "experiment_id",
    "number",
    "model",
    "class",
    "class_name",
    "r",
    "delta_r_vs_base",
    "reached",
    "steps",
    "probability",
    "accuracy",
    "val_accuracy",
    "test_accuracy",
)


def _csv_number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def comparison_csv(data: Mapping[str, Any]) -> str:
    """The comparison's numbers, one line per experiment and class it trained."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for column, experiment in enumerate(data["experiments"]):
        for row in data["classes"]:
            cell = row["cells"][column]
            if cell is None:
                continue
            writer.writerow(
                [
                    experiment["id"],
                    experiment["number"],
                    experiment["model"],
                    row["key"],
                    spreadsheet_safe(row["name"]),  # a drawn class's name is the user's text
                    _csv_number(cell["r"]),
                    _csv_number(cell["delta_r"]),
                    "yes" if cell["reached"] else "no",
                    cell["steps"],
                    _csv_number(cell["probability"]),
                    _csv_number(experiment["accuracy"]),
                    _csv_number(experiment["val_accuracy"]),
                    _csv_number(experiment["test_accuracy"]),
                ]
            )
    return buffer.getvalue()
