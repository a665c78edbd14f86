"""A sweep as table rows: one per run and class, for the CSV download."""

from __future__ import annotations

import json
from typing import Any

from sweeps.models import Sweep

BASE_COLUMNS = ["sweep", "sweep_name", "experiment", "experiment_id", "seed"]
END_COLUMNS = ["class", "class_name", "r", "accuracy", "val_accuracy", "test_accuracy", "status"]


def _cell(value: Any) -> Any:
    # A varied value that is not a plain number or word (a list of layer sizes) as JSON.
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def sweep_rows(sweep: Sweep, detail: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns (the varied settings between the seed and the class) and the rows; a run
    without results (not finished) gives one row with an empty class."""
    varied = list(sweep.vary)
    columns = [*BASE_COLUMNS, *varied, *END_COLUMNS]
    rows = []
    for run in detail["experiments"]:
        base = {
            "sweep": sweep.number,
            "sweep_name": sweep.name,
            "experiment": run["number"],
            "experiment_id": run["id"],
            "seed": run["seed"],
            **{setting: _cell(run["values"].get(setting)) for setting in varied},
            "accuracy": run["accuracy"],
            "val_accuracy": run["val_accuracy"],
            "test_accuracy": run["test_accuracy"],
            "status": run["status"],
        }
        if not run["classes"]:
            rows.append(base)
        for result in run["classes"]:
            rows.append(
                {**base, "class": result["key"], "class_name": result["name"], "r": result["r"]}
            )
    return columns, rows
