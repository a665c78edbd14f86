"""The user's experiments as table rows, for CSV and JSON downloads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from experiments.models import Experiment

EXPORT_COLUMNS = [
    "experiment_id",
    "number",
    "kind",
    "source_id",
    "status",
    "model",
    "classes",
    "tags",
    "seed",
    "config",
    "accuracy",
    "loss",
    "val_accuracy",
    "val_loss",
    "test_accuracy",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "position",
    "class",
    "class_name",
    "r",
    "steps",
    "reached",
    "probability",
]


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def experiment_rows(experiments: Iterable[Experiment]) -> list[dict[str, Any]]:
    """One row per class result (an experiment without results gives one row of its own)."""
    rows = []
    for experiment in experiments:
        base = {
            "experiment_id": experiment.pk,
            "number": experiment.number,
            "kind": experiment.kind,
            "source_id": experiment.source_id or "",
            "status": experiment.status,
            "model": experiment.model_name,
            "classes": " ".join(experiment.class_keys),
            "tags": " ".join(experiment.tags),
            "seed": experiment.seed,
            "config": json.dumps(experiment.config, sort_keys=True),
            "accuracy": experiment.accuracy,
            "loss": experiment.loss,
            "val_accuracy": experiment.val_accuracy,
            "val_loss": experiment.val_loss,
            "test_accuracy": experiment.test_accuracy,
            "error": experiment.error,
            "created_at": _iso(experiment.created_at),
            "started_at": _iso(experiment.started_at),
            "finished_at": _iso(experiment.finished_at),
        }
        results = list(experiment.results.all())
        if not results:
            rows.append(base)
        for result in results:
            rows.append(
                {
                    **base,
                    "position": result.position,
                    "class": result.class_key,
                    "class_name": result.name,
                    "r": result.r,
                    "steps": result.steps,
                    "reached": result.reached,
                    "probability": result.probability,
                }
            )
    return rows


# What a spreadsheet reads as the start of a formula when a cell begins with it (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a single quote before it,
    so it is shown as the text it is. Numbers (-0.5 included) and other text pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The rows as CSV that is safe to open in a spreadsheet: text cells that start like a
    formula are neutralised, and lines end in CRLF (RFC 4180), so a carriage return inside a
    cell is quoted with it and cannot start a row of its own."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {key: "" if row.get(key) is None else spreadsheet_safe(row[key]) for key in columns}
        )
    return out.getvalue()
