"""Every write of a sweep: create it, hand its groups to the workers, cancel it, delete it.

A sweep's runs are ordinary experiments, created *held*: queued, but not sent one by one.
They are handed to the workers a group at a time (the members that share one stacked
computation, ``models_zoo.sweep.groups``), as one task per group, while the user has fewer
than ``MAX_ACTIVE_EXPERIMENTS`` runs sent and not finished, ordinary runs included. A group
larger than the room left goes when nothing else of the user's is active, so that every
group can run. The group's task sends the next groups when it ends, and so does a schedule
every minute (``sweeps.tasks.drain_sweeps``), so that a worker that died never strands one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_q.tasks import async_task

from experiments import services as runs
from experiments.lifecycle import ExperimentFinished
from experiments.models import Experiment, clean_tags
from experiments.text import clean_text
from models_zoo import sweep as planner
from models_zoo.config import ConfigError, RunConfig
from sweeps.apps import GROUP_TASK_PATH
from sweeps.models import Sweep, SweepMember

logger = logging.getLogger(__name__)

Status = Experiment.Status

# The API's bounds (the ML core allows a "seed group" of one; a sweep needs two to say
# anything about the spread).
MIN_SEEDS = 2
MAX_SEEDS = planner.MAX_SEEDS
MAX_RUNS = planner.MAX_RUNS
MAX_NAME = 80
# Runs of a user's sweeps that may wait for their turn at once, all sweeps together.
MAX_WAITING_RUNS = 2 * MAX_RUNS


class TooManyWaiting(Exception):
    """The user's sweeps already hold as many waiting runs as allowed."""

    http_status = 429


class SweepFinished(Exception):
    """The sweep has no queued or running run left to cancel."""

    http_status = 409


def _check_request(config: Any, seeds: Any, vary: Any, name: Any) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise ValidationError({"config": ["Send the base settings as a JSON object."]})
    if isinstance(seeds, bool) or not isinstance(seeds, int):
        raise ValidationError({"seeds": ["must be a whole number"]})
    if not MIN_SEEDS <= seeds <= MAX_SEEDS:
        raise ValidationError({"seeds": [f"must be from {MIN_SEEDS} to {MAX_SEEDS}, not {seeds}"]})
    if vary is None:
        vary = {}
    if not isinstance(vary, Mapping):
        raise ValidationError({"vary": ['Send {"setting": [values, ...]} (at most two settings).']})
    clean_text(name, field="name", max_length=MAX_NAME)
    return dict(vary)


def _values_text(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in values.items())


def _member_error(error: ValidationError, member: planner.Member) -> ValidationError:
    """A member's refused settings, named as the request named them: a varied setting
    under ``vary.<setting>``, anything else under its own name, with the values it had."""
    where = f"with {_values_text(member.values)}: " if member.values else ""
    named: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items():
        key = f"vary.{field}" if field in member.values else field
        named.setdefault(key, []).extend(where + message for message in messages)
    return ValidationError(named)


@transaction.atomic
def sweep_create(
    *,
    user: AbstractBaseUser,
    config: Mapping[str, Any],
    seeds: int,
    vary: Mapping[str, Sequence[Any]] | None,
    name: str = "",
) -> Sweep:
    """Validates the request, stores the sweep and one held run per member, and hands the
    first groups to the workers after commit.

    Raises ``ValidationError`` naming the field (``seeds``, ``vary``, ``vary.<setting>``, or
    a setting of the base configuration), ``TooManyWaiting`` and the run services' own
    refusals (the storage quota).
    """
    vary = _check_request(config, seeds, vary, name)
    # The base settings as any run's are checked (a seed is drawn when none is given); then
    # the plan, then each member's own settings (the budget of a varied model, say).
    base = runs.validate_config(user=user, config=config)
    try:
        members = planner.plan(base, seeds, vary)
    except ConfigError as error:
        raise ValidationError({error.field: [error.message]}) from None
    # The user's row is locked so that two requests at once take different numbers.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    waiting = SweepMember.objects.filter(
        sweep__owner=user, sent_at__isnull=True, experiment__status=Status.QUEUED
    ).count()
    if waiting + len(members) > MAX_WAITING_RUNS:
        raise TooManyWaiting(
            f"Your sweeps already have {waiting} runs waiting; with these {len(members)} "
            f"that would be more than the {MAX_WAITING_RUNS} allowed. Wait for some to run, "
            "or cancel a sweep."
        )
    last = Sweep.objects.filter(owner=user).aggregate(last=Max("number"))["last"] or 0
    sweep = Sweep(
        owner=user,
        number=last + 1,
        name=name.strip(),
        config=base.to_dict(),
        vary={setting: list(values) for setting, values in _planned_vary(members).items()},
        seeds=seeds,
    )
    sweep.full_clean()
    sweep.save()
    try:
        experiments = runs.experiments_create_held(
            user=user,
            configs=[member.config.to_dict() for member in members],
            tags=clean_tags([sweep.tag]),
        )
    except ValidationError as error:
        index = getattr(error, "index", None)
        if index is None:
            raise
        raise _member_error(error, members[index]) from None
    rows = [
        SweepMember(
            sweep=sweep,
            experiment=experiment,
            position=member.index,
            seed=member.seed,
            values=member.values,
        )
        for member, experiment in zip(members, experiments, strict=True)
    ]
    SweepMember.objects.bulk_create(rows, batch_size=100)
    owner_id = user.pk
    transaction.on_commit(lambda: drain(owner_id=owner_id))
    return sweep


def _planned_vary(members: Sequence[planner.Member]) -> dict[str, list[Any]]:
    """The varied settings with their values as the plan checked them, in order."""
    vary: dict[str, list[Any]] = {}
    for member in members:
        for setting, value in member.values.items():
            values = vary.setdefault(setting, [])
            if value not in values:
                values.append(value)
    return vary


# --- draining: handing groups to the workers -----------------------------------------


def drain(*, owner_id: int | None = None) -> int:
    """Hands the waiting groups of one user's sweeps (or everyone's) to the workers, as
    far as each user's room allows; closes the sweeps whose runs have all finished.
    Returns how many groups were sent."""
    if owner_id is None:
        owners = list(
            SweepMember.objects.filter(sent_at__isnull=True, experiment__status=Status.QUEUED)
            .values_list("sweep__owner_id", flat=True)
            .distinct()
        )
    else:
        owners = [owner_id]
    sent = 0
    for owner in owners:
        try:
            sent += _drain_owner(owner)
        except _Raced:
            logger.info("Another drain is sending the sweeps of user %s", owner)
    close_finished()
    return sent


@transaction.atomic
def _drain_owner(owner_id: int) -> int:
    user = get_user_model().objects.select_for_update().filter(pk=owner_id).first()
    if user is None:
        return 0
    active = runs.active_count(user=user)
    waiting = list(
        SweepMember.objects.filter(
            sweep__owner_id=owner_id, sent_at__isnull=True, experiment__status=Status.QUEUED
        )
        .select_related("experiment")
        .only("id", "sweep_id", "position", "seed", "values", "experiment__config")
        .order_by("sweep__created_at", "sweep_id", "position")
    )
    sent = 0
    for sweep_id, rows in groupby(waiting, key=lambda row: row.sweep_id):
        for group in _groups(list(rows)):
            room = settings.MAX_ACTIVE_EXPERIMENTS - active
            if len(group) > room and active > 0:
                # First come, first served: a later group waits behind this one.
                return sent
            if _send(sweep_id, group):
                active += len(group)
                sent += 1
    return sent


def _groups(rows: list[SweepMember]) -> list[list[SweepMember]]:
    """The waiting members in the groups that share one computation, in sweep order."""
    by_member = {}
    members = []
    for row in rows:
        member = planner.Member(
            row.position, row.seed, row.values, RunConfig.from_dict(row.experiment.config)
        )
        by_member[row.position] = row
        members.append(member)
    parts = planner.groups(members, settings.MAX_GROUP_IMAGES)
    return [[by_member[m.index] for m in group] for group in parts]


def _send(sweep_id: int, group: list[SweepMember]) -> bool:
    """Claims the group (a conditional update, so of two drains at once only one sends it)
    and sends its task after commit."""
    now = timezone.now()
    claimed = SweepMember.objects.filter(
        pk__in=[row.pk for row in group], sent_at__isnull=True
    ).update(sent_at=now)
    if claimed != len(group):
        raise _Raced()  # undoes this drain's claims: the other one sends them
    ids = [row.experiment_id for row in group]
    # The heartbeat stamps when it was sent: the queue timeout counts from there.
    Experiment.objects.filter(pk__in=ids, status=Status.QUEUED).update(
        sent_at=now, heartbeat_at=now
    )
    transaction.on_commit(lambda: send_group(sweep_id=sweep_id, experiment_ids=ids))
    return True


class _Raced(Exception):
    """Another drain claimed a member of the group first."""


def send_group(*, sweep_id: int, experiment_ids: list[int]) -> None:
    async_task(GROUP_TASK_PATH, experiment_ids, task_name=f"sweep-{sweep_id}-{experiment_ids[0]}")


def close_finished() -> int:
    """Stamps ``finished_at`` on the sweeps whose runs have all finished."""
    open_sweeps = Sweep.objects.filter(finished_at__isnull=True).exclude(
        members__experiment__status__in=Experiment.ACTIVE
    )
    return open_sweeps.update(finished_at=timezone.now())


# --- cancel and delete ------------------------------------------------------------------


@transaction.atomic
def sweep_cancel(*, user: AbstractBaseUser, sweep: Sweep) -> Sweep:
    """Cancels every queued or running run of the sweep (a running group stops at its next
    report); 409 when none is left."""
    active = Experiment.objects.filter(
        owner=user, sweep_member__sweep=sweep, status__in=Experiment.ACTIVE
    )
    cancelled = 0
    for experiment in active:
        try:
            runs.experiment_cancel(user=user, experiment=experiment)
        except ExperimentFinished:
            continue  # it finished meanwhile
        cancelled += 1
    if not cancelled:
        raise SweepFinished("This sweep has no queued or running run left to cancel.")
    Sweep.objects.filter(pk=sweep.pk, owner=user).update(cancelled=True, finished_at=timezone.now())
    sweep.refresh_from_db()
    return sweep


@transaction.atomic
def sweep_delete(*, user: AbstractBaseUser, sweep: Sweep) -> None:
    """Deletes the sweep and its runs with their files (a running group stops: its worker
    finds no rows to save into)."""
    for experiment in Experiment.objects.filter(owner=user, sweep_member__sweep=sweep):
        runs.experiment_delete(user=user, experiment=experiment)
    Sweep.objects.filter(pk=sweep.pk, owner=user).delete()
