"""Comparing experiments: the class-aligned comparison and its CSV. Pure shaping of what the
selectors read; the pages and the API both use it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse

from experiments.exports import spreadsheet_safe
from experiments.models import ClassResult, Experiment
from history.services import check_compared_ids
from models_zoo import shapes

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
            names.setdefault(key, shapes.CATALOGUE[key].name if key in shapes.CATALOGUE else key)
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
        template_url = (
            reverse("api:catalogue-image", args=[key])
            if key in shapes.CATALOGUE
            else next(
                (
                    reverse("api:result-template", args=[e.pk, by_experiment[e.pk][key].position])
                    for e in experiments
                    if key in by_experiment[e.pk]
                ),
                None,
            )
        )
        classes.append({"key": key, "name": name, "template_url": template_url, "cells": cells})
    return {
        "base": base.pk,
        "experiments": [_experiment_summary(experiment) for experiment in experiments],
        "classes": classes,
        "settings": settings_diff([e.config for e in experiments], show_all=show_all),
    }


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
                ]
            )
    return buffer.getvalue()
