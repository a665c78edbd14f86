"""The page of one run: its images large, its curves, confusion matrices, settings,
cross-class |r|, snapshots and follow-ups.

The view renders what does not change once a run exists (its settings, where it came from,
the runs made from it, how many snapshot frames each class kept) and hands the page script
the addresses it reads the rest from: the experiment's API detail, polled while the run is
queued or running, and each class's raw image values for the diverging view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from experiments.models import ClassResult, Experiment
from experiments.views import SETTING_LABELS

# A stored snapshot array is an .npy header (well under one frame) plus 28 x 28 float32s.
FRAME_BYTES = 28 * 28 * 4
# How often the page asks how far a queued or running run has got.
POLL_MS = 1500


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    value: str


def setting_text(value: Any) -> str:
    """A stored setting as a person reads it: lists joined, booleans as on/off."""
    if value is None:
        return "\u2013"  # an en dash, as the pages write a missing value
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def settings_list(config: dict[str, Any], names: dict[str, str]) -> list[Setting]:
    """Every stored setting, in the builder's order first and any other after; classes by name."""
    keys = [key for key in SETTING_LABELS if key in config]
    keys += sorted(key for key in config if key not in SETTING_LABELS)
    rows = []
    for key in keys:
        value = config[key]
        if key == "classes" and isinstance(value, list):
            value = [names.get(item, item) for item in value]
        label = SETTING_LABELS.get(key, key.replace("_", " ").capitalize())
        rows.append(Setting(key=key, label=label, value=setting_text(value)))
    return rows


def snapshot_frames(experiment: Experiment) -> dict[int, int]:
    """Position -> how many snapshot frames that class kept, from the stored sizes alone."""
    sizes = (
        ClassResult.objects.filter(experiment=experiment)
        .annotate(snapshot_bytes=Length("snapshots"))
        .values_list("position", "snapshot_bytes")
    )
    return {position: int(size or 0) // FRAME_BYTES for position, size in sizes}


def page_settings(experiment: Experiment, frames: dict[int, int]) -> dict[str, Any]:
    pk = experiment.pk
    array = reverse("api:result-array", args=[pk, 0]).removesuffix("0/array/")
    snapshot = reverse("api:result-snapshot", args=[pk, 0, 0]).removesuffix("0/snapshots/0.png")
    return {
        "id": pk,
        "number": experiment.number,
        "detailUrl": reverse("api:experiment-detail", args=[pk]),
        "resultsUrl": array,
        "snapshotsUrl": snapshot,
        "snapshotFrames": {str(position): count for position, count in frames.items()},
        "pollMs": POLL_MS,
    }


def is_correction(run: Experiment) -> bool:
    """A follow-up trained again with the input-gradient penalty (the correction loop's)."""
    return run.kind == Experiment.Kind.TRAIN and (run.config or {}).get("highlight") == "rrr"


@login_required
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's run is a 404, as a missing one is: nothing says it exists.
    experiment = get_object_or_404(
        Experiment.objects.select_related("source"), pk=pk, owner=request.user
    )
    names = dict(experiment.results.values_list("class_key", "name"))
    frames = snapshot_frames(experiment)
    follow_ups = [
        (run, is_correction(run))
        for run in Experiment.objects.filter(owner=request.user, source=experiment).order_by(
            "created_at", "id"
        )
    ]
    run_settings = page_settings(experiment, frames)
    # The follow-ups trained again with the input-gradient penalty: the page shows this
    # run's maps beside theirs ("Before and after").
    run_settings["corrections"] = [
        {"id": run.pk, "number": run.number, "status": run.status}
        for run, corrected in follow_ups
        if corrected
    ]
    context = {
        "experiment": experiment,
        "settings": settings_list(experiment.config or {}, names),
        "follow_ups": follow_ups,
        "run_settings": run_settings,
    }
    return render(request, "inspector/run.html", context)
