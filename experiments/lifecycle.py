"""The worker's side of a run's life cycle: start, heartbeat, progress, failure.

Each is a conditional update (``UPDATE ... WHERE status =``), so a second delivery of the same
task, a cancellation from the page and the reaper can race without ever moving an experiment
backwards: whoever changes the row first wins, the others are told.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from experiments.models import Experiment

Status = Experiment.Status

WORKER_STOPPED = (
    "The worker stopped responding while training this experiment (it was killed, or ran out "
    "of memory or time); run it again, perhaps with fewer epochs, classes or copies."
)
ATTEMPTS_USED_UP = (
    "The worker stopped while training this experiment every time it was tried; "
    "run it again, perhaps with fewer epochs, classes or copies."
)


class ExperimentFinished(Exception):
    """The experiment has already finished, so it can no longer be cancelled."""

    http_status = 409


def initial_progress() -> dict[str, Any]:
    return {"phase": "queued", "done": 0, "total": 0, "fraction": 0.0, "metrics": {}}


@transaction.atomic
def experiment_start(*, experiment_id: int) -> bool:
    """Moves a queued experiment to running; False when another delivery got there first.

    An experiment is started at most MAX_ATTEMPTS times: one that has used them all (its
    workers kept dying) is failed instead, so a task the broker hands out again and again
    never trains it once more.
    """
    now = timezone.now()
    changed = Experiment.objects.filter(
        pk=experiment_id, status=Status.QUEUED, attempts__lt=settings.MAX_ATTEMPTS
    ).update(status=Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1)
    if changed == 0:
        Experiment.objects.filter(
            pk=experiment_id, status=Status.QUEUED, attempts__gte=settings.MAX_ATTEMPTS
        ).update(status=Status.FAILED, finished_at=now, error=ATTEMPTS_USED_UP)
    return changed == 1


def experiment_beat(*, experiment_id: int) -> bool:
    """The worker running the experiment is alive: refresh its heartbeat only."""
    changed = Experiment.objects.filter(pk=experiment_id, status=Status.RUNNING).update(
        heartbeat_at=timezone.now()
    )
    return changed == 1


@transaction.atomic
def experiment_progress(*, experiment_id: int, progress: Mapping[str, Any]) -> bool:
    """Records progress and the heartbeat; False when the experiment is no longer running."""
    changed = Experiment.objects.filter(pk=experiment_id, status=Status.RUNNING).update(
        progress=dict(progress), heartbeat_at=timezone.now()
    )
    return changed == 1


@transaction.atomic
def experiments_progress(*, experiment_ids: Sequence[int], progress: Mapping[str, Any]) -> set[int]:
    """Records the same progress and heartbeat on several experiments trained together (a
    sweep's group), in one update; returns those still running."""
    running = Experiment.objects.filter(pk__in=list(experiment_ids), status=Status.RUNNING)
    still_running = set(running.values_list("pk", flat=True))
    Experiment.objects.filter(pk__in=still_running, status=Status.RUNNING).update(
        progress=dict(progress), heartbeat_at=timezone.now()
    )
    return still_running


@transaction.atomic
def experiment_fail(*, experiment_id: int, error: str) -> bool:
    """Marks a queued or running experiment failed with a message a person can read."""
    changed = Experiment.objects.filter(pk=experiment_id, status__in=Experiment.ACTIVE).update(
        status=Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    return changed == 1
