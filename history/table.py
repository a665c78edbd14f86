"""The run table: every run of a user as one row of figures, sorted, narrowed and cut to
the columns asked for, for the history page's table (JSON) and its CSV alike, so that the
CSV holds exactly what the table shows.

The rows are the user's experiments narrowed by ``experiments.filters.ExperimentFilterSet``
(the history's filters) and by a text filter ``q``, then sorted by ``sort`` (a column's key,
``-`` first for descending; runs without a value go last either way, ties newest first).
Reading them costs a fixed number of queries whatever the number of runs: the runs' figures,
and their results' |r| and steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, QuerySet

from experiments.exports import csv_text
from experiments.models import ClassResult, Experiment
from models_zoo import datasets, shapes
from models_zoo.architectures import list_architectures

# The most rows one table holds; beyond it the filters narrow the runs down.
MAX_ROWS = 2000
MAX_QUERY_LENGTH = 100
# The sweeps' page of a sweep (the sweeps app's route, which this app does not import).
SWEEP_PAGE = "/sweeps/{}/"
CLASS_PREFIX = "r:"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # How the page writes a value: int, text, percent, r, seconds, list, sweep, date.
    type: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "label": self.label, "type": self.type}


# The columns every table has, in order; the per-class |r| columns follow "mean_r".
BASE_COLUMNS = (
    Column("number", "Run", "int"),
    Column("model", "Model", "text"),
    Column("classes", "Classes", "list"),
    Column("seed", "Seed", "int"),
    Column("status", "Status", "text"),
    Column("accuracy", "Accuracy", "percent"),
    Column("val_accuracy", "Validation accuracy", "percent"),
    Column("test_accuracy", "Test accuracy", "percent"),
    Column("mean_r", "Mean |r|", "r"),
    Column("steps", "Steps", "int"),
    Column("duration", "Duration", "seconds"),
    Column("tags", "Tags", "list"),
    Column("sweep", "Sweep", "sweep"),
    Column("created", "Created", "date"),
)
BASE_KEYS = tuple(column.key for column in BASE_COLUMNS)


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict[str, Any]]
    count: int  # runs matching the filters, before the cut to MAX_ROWS
    sort: str
    class_names: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "shown": len(self.rows),
            "limit": MAX_ROWS,
            "sort": self.sort,
            "columns": [column.as_dict() for column in self.columns],
            "class_names": self.class_names,
            "rows": self.rows,
        }


def _sweep_expressions() -> dict[str, F]:
    """The sweep of each run, read through the sweeps app's one-to-one link to the run when
    that app is installed (the runs know nothing of it), else nothing."""
    try:
        Experiment._meta.get_field("sweep_member")
    except FieldDoesNotExist:
        return {}
    return {
        "sweep_id": F("sweep_member__sweep_id"),
        "sweep_number": F("sweep_member__sweep__number"),
    }


def class_display_name(key: str) -> str:
    """The name of a built-in or dataset class (``3`` for ``digits:3``); other keys (a drawn
    class) as they are, for a run that has no results to name them yet."""
    if key in shapes.CATALOGUE:
        return shapes.CATALOGUE[key].name
    if datasets.is_dataset_class(key):
        return dict(datasets.dataset_classes(datasets.dataset_of(key)))[key]
    return key


def _labels() -> dict[str, str]:
    return {architecture.name: architecture.label for architecture in list_architectures()}


def _duration(started: Any, finished: Any) -> float | None:
    if started is None or finished is None:
        return None
    return round((finished - started).total_seconds(), 3)


def _rows(queryset: QuerySet[Experiment]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every run of ``queryset`` as a row, in its order, and a name for each class key."""
    sweeps = _sweep_expressions()
    runs = list(
        queryset.annotate(**sweeps).values(
            "pk",
            "number",
            "model_name",
            "class_keys",
            "seed",
            "status",
            "accuracy",
            "val_accuracy",
            "test_accuracy",
            "tags",
            "created_at",
            "started_at",
            "finished_at",
            *sweeps,
        )
    )
    results: dict[int, list[tuple[str, float | None, int]]] = {}
    names: dict[str, str] = {}
    for experiment_id, key, name, r, steps in (
        ClassResult.objects.filter(experiment__in=queryset.values("pk"))
        .order_by()
        .values_list("experiment_id", "class_key", "name", "r", "steps")
    ):
        results.setdefault(experiment_id, []).append((key, r, steps))
        names.setdefault(key, name)
    labels = _labels()
    rows = []
    for run in runs:
        own = results.get(run["pk"], [])
        rs = {key: r for key, r, _ in own}
        defined = [r for r in rs.values() if r is not None]
        for key in run["class_keys"] or []:
            names.setdefault(key, class_display_name(key))
        sweep_id = run.get("sweep_id")
        rows.append(
            {
                "id": run["pk"],
                "number": run["number"],
                "model": run["model_name"],
                "model_label": labels.get(run["model_name"], run["model_name"].upper()),
                "classes": list(run["class_keys"] or []),
                "seed": run["seed"],
                "status": run["status"],
                "accuracy": run["accuracy"],
                "val_accuracy": run["val_accuracy"],
                "test_accuracy": run["test_accuracy"],
                "mean_r": sum(defined) / len(defined) if defined else None,
                "r": rs,
                # Image generation works on every class at once until the last one is done:
                # the run's steps are those of its slowest class.
                "steps": max((steps for _, _, steps in own), default=None),
                "duration": _duration(run["started_at"], run["finished_at"]),
                "tags": list(run["tags"] or []),
                "sweep": (
                    None
                    if sweep_id is None
                    else {
                        "id": sweep_id,
                        "number": run.get("sweep_number"),
                        "url": SWEEP_PAGE.format(sweep_id),
                    }
                ),
                "created": run["created_at"].isoformat(),
            }
        )
    return rows, names


def _haystack(row: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """What the text filter looks in: the row's words as the table writes them."""
    parts = [
        f"[{row['number']}]",
        row["model"],
        row["model_label"],
        *row["classes"],
        *(names.get(key, key) for key in row["classes"]),
        f"seed {row['seed']}",
        row["status"],
        *row["tags"],
    ]
    if row["sweep"] is not None:
        parts.append(f"sweep {row['sweep']['number']}")
    return " ".join(str(part) for part in parts).lower()


def parse_query(raw: str | None) -> list[str]:
    text = (raw or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError({"q": [f"Use at most {MAX_QUERY_LENGTH} characters."]})
    return text.lower().split()


def _sort_value(key: str, names: Mapping[str, str]) -> Callable[[Mapping[str, Any]], Any]:
    """The value a row is sorted by in column ``key`` (None: the row has none)."""
    if key.startswith(CLASS_PREFIX):
        class_key = key.removeprefix(CLASS_PREFIX)
        return lambda row: row["r"].get(class_key)
    if key == "model":
        return lambda row: row["model_label"].lower()
    if key == "classes":
        return lambda row: ", ".join(names.get(k, k) for k in row["classes"]).lower() or None
    if key == "tags":
        return lambda row: " ".join(row["tags"]) or None
    if key == "sweep":
        return lambda row: None if row["sweep"] is None else row["sweep"]["number"]
    return lambda row: row[key]


def is_class_column(key: str) -> bool:
    """``r:<class key>``: a class's |r|. A class no run shown trained on is a column of
    blanks (a sort or a CSV column kept from before a filter changed), not an error."""
    return key.startswith(CLASS_PREFIX) and 0 < len(key) - len(CLASS_PREFIX) <= 64


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """``"-accuracy"`` as ("accuracy", descending); a 400 naming ``sort`` when no such
    column exists. Empty: the filters' own order."""
    text = (raw or "").strip()
    descending = text.startswith("-")
    key = text.removeprefix("-")
    if key and key not in BASE_KEYS and not is_class_column(key):
        raise ValidationError({"sort": [f"No column {key!r} to sort by."]})
    return key, descending


def sort_rows(
    rows: list[dict[str, Any]], key: str, *, descending: bool, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The rows by column ``key``; those without a value last, ties in their given order."""
    if not key:
        return rows
    value = _sort_value(key, names)
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    # Python's sort is stable, reversed or not: equal rows keep the filters' order.
    return sorted(present, key=value, reverse=descending) + missing


def run_table(
    *, user: AbstractBaseUser, queryset: QuerySet[Experiment], q: str | None, sort: str | None
) -> Table:
    """The user's runs of ``queryset`` (already narrowed by the history's filters) as a
    table: narrowed by the words of ``q``, sorted by ``sort``, cut to MAX_ROWS."""
    words = parse_query(q)
    rows, names = _rows(queryset.filter(owner=user))
    if words:
        rows = [row for row in rows if all(word in _haystack(row, names) for word in words)]
    class_keys = sorted(
        {key for row in rows for key in row["classes"]}, key=lambda k: (names[k].lower(), k)
    )
    key, descending = parse_sort(sort)
    rows = sort_rows(rows, key, descending=descending, names=names)
    columns = list(BASE_COLUMNS)
    at = BASE_KEYS.index("mean_r") + 1
    columns[at:at] = [
        Column(f"{CLASS_PREFIX}{key}", f"|r| {names[key]}", "r") for key in class_keys
    ]
    return Table(
        columns=columns,
        rows=rows[:MAX_ROWS],
        count=len(rows),
        sort=f"{'-' if descending else ''}{key}" if key else "",
        class_names={key: names[key] for key in class_keys},
    )


def parse_columns(raw: str | None, table: Table) -> list[Column]:
    """The table's columns named in ``raw`` (comma-separated keys), in the table's order;
    every column when ``raw`` is empty. An unknown key is a 400 naming ``columns``."""
    keys = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if not keys:
        return table.columns
    known = {column.key for column in table.columns}
    unknown = [key for key in keys if key not in known and not is_class_column(key)]
    if unknown:
        raise ValidationError({"columns": [f"No column {', '.join(map(repr, unknown))}."]})
    chosen = [column for column in table.columns if column.key in keys]
    blanks = [key for key in keys if key not in known]
    return chosen + [Column(key, key, "r") for key in blanks]


def _csv_value(column: Column, row: Mapping[str, Any]) -> Any:
    if column.key.startswith(CLASS_PREFIX):
        return row["r"].get(column.key.removeprefix(CLASS_PREFIX))
    value = row[column.key]
    if column.type == "list":
        return " ".join(value)
    if column.type == "sweep":
        return None if value is None else value["number"]
    return value


def table_csv(table: Table, columns: list[Column]) -> str:
    """The table's rows, in its order, with these columns: keys as headers (a class's name
    is the user's text, never a header), raw figures (a fraction, not a percentage)."""
    keys = [column.key for column in columns]
    rows = [{column.key: _csv_value(column, row) for column in columns} for row in table.rows]
    return csv_text(keys, rows)
