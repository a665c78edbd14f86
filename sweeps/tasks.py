"""Background tasks of sweeps, run by the django-q workers. Thin: take ids, call services.

``train_group`` trains and visualizes one group of a sweep (members that share one stacked
computation) in one go, stores each member's result as its own run's, then sends the next
groups; ``drain_sweeps`` is the cluster's schedule that sends them too, as a fallback.
TensorFlow is imported inside ``models_zoo.sweep.run_group``, never when this module is.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import InterfaceError, OperationalError, connection

from experiments import lifecycle, results, watchdog
from experiments import services as runs
from experiments.models import Experiment
from experiments.tasks import (
    PROGRESS_INTERVAL_S,
    progress_record,
    readable_error,
    run_outcome,
)
from models_zoo.config import RunConfig
from sweeps import services

if TYPE_CHECKING:
    from models_zoo.pipeline import Progress

logger = logging.getLogger(__name__)


class GroupReporter:
    """``run_group``'s ``on_progress``: the group's progress is every member's, written to
    all of them in one update at most every ``interval`` seconds (plus the last report);
    answers True (stop) only once every member has been cancelled (or deleted)."""

    def __init__(self, experiment_ids: Sequence[int], interval: float = PROGRESS_INTERVAL_S):
        self.experiment_ids = list(experiment_ids)
        self.interval = interval
        self.last_write = float("-inf")

    def __call__(self, progress: Progress) -> bool:
        now = time.monotonic()
        if now - self.last_write < self.interval and progress.fraction < 1.0:
            return False
        self.last_write = now
        try:
            running = lifecycle.experiments_progress(
                experiment_ids=self.experiment_ids, progress=progress_record(progress)
            )
        except (OperationalError, InterfaceError):
            # The database is away for a moment: skip this report, keep training.
            logger.warning("Progress of group %s not recorded", self.experiment_ids)
            connection.close()
            return False
        # A member that stopped running is not asked about again.
        self.experiment_ids = [pk for pk in self.experiment_ids if pk in running]
        return not self.experiment_ids


def train_group(experiment_ids: Sequence[int]) -> str:
    """Trains one group of a sweep; members no longer queued are skipped (a second delivery
    of the task does nothing). Then sends the next groups of the owner's sweeps."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    ids = [int(pk) for pk in experiment_ids]
    owner_id = Experiment.objects.filter(pk__in=ids).values_list("owner_id", flat=True).first()
    started = [pk for pk in ids if lifecycle.experiment_start(experiment_id=pk)]
    try:
        if not started:
            logger.info("No run of group %s is queued any more; nothing to do", ids)
            return "skipped"
        # The watchdog thread beats for every member while this process trains them.
        with watchdog.training(*started):
            return _train_started(started)
    finally:
        if owner_id is not None:
            _drain(owner_id)


def _drain(owner_id: int) -> None:
    try:
        services.drain(owner_id=owner_id)
    except Exception:
        # The scheduled drain (drain_sweeps) sends them a minute later.
        logger.warning("Could not send the next groups of user %s", owner_id, exc_info=True)


def _train_started(ids: list[int]) -> str:
    try:
        by_id = Experiment.objects.in_bulk(ids)
        experiments = [by_id[pk] for pk in ids if pk in by_id]
        if not experiments:
            return "deleted"
        configs = [RunConfig.from_dict(experiment.config) for experiment in experiments]
        # Every member of a sweep trains on the same copy of the classes.
        classes = runs.class_specs(experiment=experiments[0])

        import models_zoo
        from models_zoo import sweep

        reporter = GroupReporter([experiment.pk for experiment in experiments])
        try:
            outcomes = sweep.run_group(configs, classes, on_progress=reporter)
        except models_zoo.Cancelled:
            logger.info("Every run of group %s was cancelled while it ran", ids)
            return "cancelled"
        saved = 0
        for experiment, result in zip(experiments, outcomes, strict=True):
            if results.experiment_finish(experiment_id=experiment.pk, outcome=run_outcome(result)):
                saved += 1
    except Exception as error:
        logger.exception("Group %s failed", ids)
        message = readable_error(error)
        for pk in ids:
            lifecycle.experiment_fail(experiment_id=pk, error=message)
        return "failed"
    return f"done {saved} of {len(ids)}"


def drain_sweeps() -> int:
    """Sends the waiting groups of every user's sweeps, as far as their room allows; run
    every minute by the cluster's scheduler. Returns how many groups it sent."""
    return services.drain()
