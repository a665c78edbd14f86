"""The watchdog every task worker process runs beside its tasks, in a thread.

Every ``WATCHDOG_INTERVAL`` seconds it

* refreshes the heartbeat of the experiments this process is training (if any), so that a
  heartbeat means "its process is alive", even through long silent stretches such as the
  TensorFlow import or a slow first epoch; and
* fails (or queues again, see ``MAX_ATTEMPTS``) every experiment whose heartbeat is older
  than ``HEARTBEAT_TIMEOUT``: the process that trained it is gone (SIGKILL, out of memory,
  a machine that died). django-q records nothing for such a worker, and with the database
  broker hands its task out again after ``retry``; the experiment row guards itself;
* sends the task again for queued experiments whose task the broker lost (``RESEND_AFTER``).

The thread starts when django-q spawns a worker process (its ``post_spawn`` signal, sent in
the new process; not in sync mode, where no worker process exists), so every worker of
every machine watches every other one. The thread only talks to the database; it never
touches TensorFlow.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_current: tuple[int, ...] = ()
_started = False


@contextlib.contextmanager
def training(*experiment_ids: int) -> Iterator[None]:
    """Marks the experiments this process is training (several for a group trained
    together), for the heartbeat."""
    global _current
    with _lock:
        _current = experiment_ids
    try:
        yield
    finally:
        with _lock:
            _current = ()


def current_experiments() -> tuple[int, ...]:
    with _lock:
        return _current


def current_experiment() -> int | None:
    """The first of the experiments this process is training, if any."""
    current = current_experiments()
    return current[0] if current else None


def check_once() -> int:
    """One round: beat for this process's experiments, then reap the stale ones."""
    from experiments import lifecycle, reliability

    try:
        for experiment_id in current_experiments():
            lifecycle.experiment_beat(experiment_id=experiment_id)
        reaped = reliability.experiment_reap_stale()
        return reaped + len(reliability.experiment_resend_lost())
    finally:
        # A thread's connection is its own: close it rather than hold it between rounds.
        connection.close()


def _run(interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            check_once()
        except Exception:
            # The database may be away for a moment; the next round tries again.
            logger.warning("Watchdog round failed", exc_info=True)


def start(interval: float | None = None) -> threading.Event | None:
    """Starts the watchdog thread of this process once; returns its stop event."""
    global _started
    with _lock:
        if _started:
            return None
        _started = True
    stop = threading.Event()
    seconds = float(interval if interval is not None else settings.WATCHDOG_INTERVAL)
    thread = threading.Thread(
        target=_run, args=(seconds, stop), name="shapeshop-watchdog", daemon=True
    )
    thread.start()
    return stop


def on_worker_spawn(sender: Any, **kwargs: Any) -> None:
    """django-q's ``post_spawn`` receiver: django-q sends it in each new worker process.

    In sync mode django-q runs its worker loop inside the process that enqueued the task
    (a web request, a shell, a test) and sends the signal there too: that process is no
    worker, and a thread left behind in it would go on writing to its database.
    """
    from django_q.conf import Conf

    if Conf.SYNC:
        return
    start()


def connect() -> None:
    """Connects what each worker process does when it starts: the watchdog thread first, so
    that it already runs while the worker warms up (experiments.warmup) before its first
    task. Receivers run in the order they were connected."""
    from django_q.signals import post_spawn

    from experiments import warmup

    post_spawn.connect(on_worker_spawn, dispatch_uid="shapeshop-watchdog")
    post_spawn.connect(warmup.on_worker_spawn, dispatch_uid="shapeshop-warmup")
