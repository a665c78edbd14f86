"""A study's data for analysis: participants (pseudonymised), conditions, events, experiments
and their per-class results, as tables. The same tables become CSV files (one each, or all in
a zip) or one JSON document. Only the study's own participants' data is included; no
username, e-mail or user id ever appears, only the stable pseudonym. In the CSV files a text
cell that a spreadsheet would run as a formula (a participant's page, a class name) starts
with a single quote (``csv_text``); the JSON document keeps every value as it was stored."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from experiments.exports import csv_text
from studies.models import Condition, Event, Participant, Study, StudyExperiment
from studies.services import pseudonym

COLUMNS: dict[str, list[str]] = {
    "participants": ["participant", "condition", "enrolled_by_staff", "joined_at"],
    "conditions": ["condition", "allowed_models", "highlighting", "drawing", "participants"],
    "events": ["participant", "condition", "type", "page", "data", "client_time", "server_time"],
    "experiments": [
        "experiment",
        "participant",
        "condition",
        "number",
        "kind",
        "source",
        "status",
        "model",
        "classes",
        "seed",
        "config",
        "accuracy",
        "loss",
        "val_accuracy",
        "val_loss",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ],
    "results": [
        "experiment",
        "participant",
        "condition",
        "position",
        "class",
        "class_name",
        "r",
        "steps",
        "reached",
        "probability",
    ],
}
TABLES = tuple(COLUMNS)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def tables(study: Study) -> dict[str, list[dict[str, Any]]]:
    """Every table of the study as lists of plain rows (JSON-ready values)."""
    participants = list(
        Participant.objects.filter(study=study).select_related("condition").order_by("joined_at")
    )
    conditions = list(Condition.objects.filter(study=study).order_by("id"))
    counts = {c.pk: sum(p.condition_id == c.pk for p in participants) for c in conditions}
    events = Event.objects.filter(participant__study=study).select_related("participant__condition")
    links = (
        StudyExperiment.objects.filter(study=study)
        .select_related("experiment", "condition", "participant")
        .prefetch_related("experiment__results")
        .order_by("experiment__created_at", "experiment_id")
    )
    experiments, results = [], []
    for link in links:
        experiment = link.experiment
        who = {"participant": pseudonym(link.participant.user_id), "condition": link.condition.name}
        experiments.append(
            {
                "experiment": experiment.pk,
                **who,
                "number": experiment.number,
                "kind": experiment.kind,
                "source": experiment.source_id,
                "status": experiment.status,
                "model": experiment.model_name,
                "classes": list(experiment.class_keys),
                "seed": experiment.seed,
                "config": experiment.config,
                "accuracy": experiment.accuracy,
                "loss": experiment.loss,
                "val_accuracy": experiment.val_accuracy,
                "val_loss": experiment.val_loss,
                "error": experiment.error,
                "created_at": _iso(experiment.created_at),
                "started_at": _iso(experiment.started_at),
                "finished_at": _iso(experiment.finished_at),
            }
        )
        for result in experiment.results.all():
            results.append(
                {
                    "experiment": experiment.pk,
                    **who,
                    "position": result.position,
                    "class": result.class_key,
                    "class_name": result.name,
                    "r": result.r,
                    "steps": result.steps,
                    "reached": result.reached,
                    "probability": result.probability,
                }
            )
    return {
        "participants": [
            {
                "participant": pseudonym(p.user_id),
                "condition": p.condition.name,
                "enrolled_by_staff": p.enrolled_by_id is not None,
                "joined_at": _iso(p.joined_at),
            }
            for p in participants
        ],
        "conditions": [
            {
                "condition": c.name,
                "allowed_models": list(c.allowed_models),
                "highlighting": c.highlighting,
                "drawing": c.drawing,
                "participants": counts[c.pk],
            }
            for c in conditions
        ],
        "events": [
            {
                "participant": pseudonym(e.participant.user_id),
                "condition": e.participant.condition.name,
                "type": e.type,
                "page": e.page,
                "data": e.data,
                "client_time": _iso(e.client_time),
                "server_time": _iso(e.server_time),
            }
            for e in events
        ],
        "experiments": experiments,
        "results": results,
    }


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def table_csv(study: Study, table: str) -> str:
    rows = [{key: _cell(value) for key, value in row.items()} for row in tables(study)[table]]
    return csv_text(COLUMNS[table], rows)


def zip_bytes(study: Study) -> bytes:
    """All tables as ``<table>.csv`` files in one zip, plus the study's description as JSON."""
    data = tables(study)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("study.json", json.dumps(study_header(study), indent=2))
        for table, rows in data.items():
            cells = [{key: _cell(value) for key, value in row.items()} for row in rows]
            archive.writestr(f"{table}.csv", csv_text(COLUMNS[table], cells))
    return buffer.getvalue()


def study_header(study: Study) -> dict[str, Any]:
    return {
        "id": study.pk,
        "title": study.title,
        "description": study.description,
        "tasks": list(study.tasks),
        "is_open": study.is_open,
        "created_at": _iso(study.created_at),
    }


def json_document(study: Study) -> dict[str, Any]:
    return {"study": study_header(study), **tables(study)}
