"""Work that nobody is doing any more: runs whose worker died, tasks the broker lost.

Run by every worker's watchdog thread (:mod:`experiments.watchdog`) and, as a fallback, by the
cluster's schedule (:func:`experiments.tasks.reap_stale_experiments`). Each experiment is
claimed by a conditional update, so of several watchdogs only one acts on it.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from experiments import hooks, services
from experiments.lifecycle import WORKER_STOPPED, initial_progress
from experiments.models import Experiment

logger = logging.getLogger(__name__)

Status = Experiment.Status


def broker_queue_size() -> int | None:
    """Tasks waiting in the broker's queue, or None when the broker cannot be asked."""
    from django_q.brokers import get_broker

    try:
        size = get_broker().queue_size()
    except Exception:
        logger.warning("Could not ask the queue broker for its size", exc_info=True)
        return None
    return None if size is None else int(size)


# How many waiting tasks a watchdog round reads to learn which experiments they are for.
BROKER_PEEK_LIMIT = 5000


def broker_waiting_experiments() -> set[int] | None:
    """The experiments whose task waits in the broker's queue (or, with the database broker,
    is being worked on); None when the queue cannot be read, or is longer than
    BROKER_PEEK_LIMIT. Tasks of other kinds, or signed by another site, are skipped."""
    from django_q.brokers import get_broker
    from django_q.brokers.orm import ORM
    from django_q.brokers.redis_broker import Redis
    from django_q.signing import SignedPackage

    try:
        broker = get_broker()
        if isinstance(broker, Redis):
            payloads = broker.connection.lrange(broker.list_key, 0, BROKER_PEEK_LIMIT)
        elif isinstance(broker, ORM):
            rows = broker.get_connection().filter(key=broker.list_key).order_by("id")
            payloads = list(rows.values_list("payload", flat=True)[: BROKER_PEEK_LIMIT + 1])
        else:
            return None
    except Exception:
        logger.warning("Could not read the queue broker's waiting tasks", exc_info=True)
        return None
    if len(payloads) > BROKER_PEEK_LIMIT:
        return None
    experiment_ids = set()
    for payload in payloads:
        try:
            task = SignedPackage.loads(payload)
        except Exception:
            continue
        if not isinstance(task, dict):
            continue
        args = task.get("args")
        if task.get("func") in (services.TASK_PATH, services.REVISUALIZE_TASK_PATH) and args:
            with contextlib.suppress(TypeError, ValueError):
                experiment_ids.add(int(args[0]))
        elif args:
            # A feature app's task that carries several experiments (a sweep's group).
            with contextlib.suppress(TypeError, ValueError):
                experiment_ids.update(
                    int(pk) for pk in hooks.task_experiments(task.get("func"), args) or ()
                )
    return experiment_ids


def experiment_resend_lost(*, now: datetime | None = None) -> list[int]:
    """Sends the task again for queued experiments whose task the broker lost.

    An experiment still queued RESEND_AFTER seconds after its task was sent, with no task for
    it among those waiting in the broker's queue, has lost its task (Redis keeps its queue in
    memory, so a restart loses it). Where the queue cannot be read, only an empty queue says
    so. Sending it again is safe: a task for an experiment that another task already started
    does nothing. Each experiment is claimed by a conditional update, so of several
    watchdogs only one sends it. Returns the ids sent again.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RESEND_AFTER)
    waiting = Experiment.objects.filter(status=Status.QUEUED).filter(
        Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True, created_at__lt=cutoff)
    )
    # A feature app that holds some back sends them itself, when their turn comes.
    waiting = hooks.exclude_held(waiting)
    candidates = list(waiting.values_list("pk", "sent_at"))
    if not candidates:
        return []
    in_queue = broker_waiting_experiments()
    if in_queue is None:
        if broker_queue_size() != 0:
            return []
        in_queue = set()
    resent = []
    for experiment_id, sent_at in candidates:
        if experiment_id in in_queue:
            continue
        claim = Experiment.objects.filter(pk=experiment_id, status=Status.QUEUED)
        claim = claim.filter(sent_at=sent_at) if sent_at else claim.filter(sent_at__isnull=True)
        if claim.update(sent_at=now):
            services.enqueue(experiment_id=experiment_id)
            resent.append(experiment_id)
    if resent:
        logger.warning("Sent the task again (the broker had lost it): %s", resent)
    return resent


def experiment_reap_stale(*, now: datetime | None = None) -> int:
    """Fails experiments no worker is looking after, so that none stays active forever.

    A running experiment whose worker stopped beating (killed, out of memory, its machine
    gone) for HEARTBEAT_TIMEOUT goes back to the queue while it has attempts left
    (MAX_ATTEMPTS), and is failed after that; a queued one that no worker took for
    QUEUE_TIMEOUT (the broker lost it, or no worker runs) is failed too. Returns how many
    experiments were failed or queued again. Run by every worker's watchdog and by a schedule.
    """
    now = now or timezone.now()
    requeued: list[int] = []
    with transaction.atomic():
        stale = Experiment.objects.filter(
            status=Status.RUNNING,
            heartbeat_at__lt=now - timedelta(seconds=settings.HEARTBEAT_TIMEOUT),
        )
        for experiment_id in stale.filter(attempts__lt=settings.MAX_ATTEMPTS).values_list(
            "pk", flat=True
        ):
            # The heartbeat stamps the moment it went back, for the QUEUE_TIMEOUT check below.
            if stale.filter(pk=experiment_id).update(
                status=Status.QUEUED, heartbeat_at=now, sent_at=now, progress=initial_progress()
            ):
                requeued.append(experiment_id)
        dead = stale.update(status=Status.FAILED, finished_at=now, error=WORKER_STOPPED)
        waited_too_long = now - timedelta(seconds=settings.QUEUE_TIMEOUT)
        forgotten = (
            hooks.exclude_held(Experiment.objects.filter(status=Status.QUEUED))
            .filter(
                Q(heartbeat_at__isnull=True, created_at__lt=waited_too_long)
                | Q(heartbeat_at__lt=waited_too_long)
            )
            .update(
                status=Status.FAILED,
                finished_at=now,
                error="No worker took this experiment in time. Is a worker running? Try again.",
            )
        )
        for experiment_id in requeued:
            transaction.on_commit(lambda pk=experiment_id: services.enqueue(experiment_id=pk))
    if requeued:
        logger.warning("Queued again after their worker stopped: %s", requeued)
    return dead + forgotten + len(requeued)
