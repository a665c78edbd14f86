"""The watchdog: heartbeats, stale experiments failed or queued again, bounded attempts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_q.models import Schedule

from experiments import lifecycle, reliability, services, tasks, watchdog
from experiments.models import Experiment
from tests.conftest import ROOT
from tests.factories import TINY_MLP_THREE_CLASSES

pytestmark = pytest.mark.django_db


def running(user: Any) -> Experiment:
    experiment = services.experiment_create(user=user, config=TINY_MLP_THREE_CLASSES)
    assert lifecycle.experiment_start(experiment_id=experiment.pk)
    return experiment


def age_heartbeat(experiment: Experiment, seconds: float) -> None:
    Experiment.objects.filter(pk=experiment.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_stale_running_experiment_is_failed_with_a_clear_message(
    alice: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 5
    dead, alive = running(alice), running(alice)
    age_heartbeat(dead, settings.HEARTBEAT_TIMEOUT + 1)
    age_heartbeat(alive, settings.HEARTBEAT_TIMEOUT - 5)
    assert reliability.experiment_reap_stale() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "failed" and dead.finished_at is not None
    assert "worker stopped" in dead.error and "run it again" in dead.error
    assert alive.status == "running"


def test_only_real_worker_processes_start_a_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    from django_q.conf import Conf
    from django_q.signals import post_spawn
    from django_q.tasks import async_task

    started: list[float | None] = []
    monkeypatch.setattr(watchdog, "start", lambda interval=None: started.append(interval))
    # Sync mode runs django-q's worker loop in this very process, signal included.
    assert Conf.SYNC
    async_task("math.floor", 2.5)
    assert started == []
    monkeypatch.setattr(Conf, "SYNC", False)
    post_spawn.send(sender="django_q", proc_name="Process-1:1")
    assert started == [None]


@pytest.mark.django_db(transaction=True)
def test_the_watchdog_beats_for_the_experiment_its_process_trains(
    alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 5
    # Committed for real here: keep the synchronous queue from running them in this process.
    monkeypatch.setattr(services, "enqueue", lambda *, experiment_id: None)
    mine, other = running(alice), running(alice)
    for experiment in (mine, other):
        age_heartbeat(experiment, settings.HEARTBEAT_TIMEOUT + 1)
    rounds: list[int] = []
    with watchdog.training(mine.pk):
        assert watchdog.current_experiment() == mine.pk
        # As in a worker: the watchdog's round runs in a thread with its own connection.
        thread = threading.Thread(target=lambda: rounds.append(watchdog.check_once()))
        thread.start()
        thread.join(timeout=30)
    assert rounds == [1]
    assert watchdog.current_experiment() is None
    mine.refresh_from_db()
    other.refresh_from_db()
    # Alive through a long silent stretch (no progress report), while the dead one is failed.
    assert mine.status == "running"
    assert timezone.now() - mine.heartbeat_at < timedelta(seconds=5)
    assert other.status == "failed"


def test_below_max_attempts_a_dead_run_is_queued_again_then_failed(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MAX_ATTEMPTS = 2
    experiment = running(alice)
    age_heartbeat(experiment, settings.HEARTBEAT_TIMEOUT + 1)
    with django_capture_on_commit_callbacks() as callbacks:
        assert reliability.experiment_reap_stale() == 1
    experiment.refresh_from_db()
    assert experiment.status == "queued" and experiment.attempts == 1
    assert len(callbacks) == 1  # handed to the workers again
    # The second attempt dies too: now it is failed, never started a third time.
    assert lifecycle.experiment_start(experiment_id=experiment.pk)
    age_heartbeat(experiment, settings.HEARTBEAT_TIMEOUT + 1)
    assert reliability.experiment_reap_stale() == 1
    experiment.refresh_from_db()
    assert experiment.status == "failed" and experiment.attempts == 2
    assert "run it again" in experiment.error


def test_a_redelivered_task_never_trains_past_max_attempts(alice: Any, settings: Any) -> None:
    # A queued experiment that has used its attempts (for example queued again by hand) is
    # failed by the next delivery of its task instead of being trained once more.
    experiment = services.experiment_create(user=alice, config=TINY_MLP_THREE_CLASSES)
    Experiment.objects.filter(pk=experiment.pk).update(attempts=settings.MAX_ATTEMPTS)
    assert tasks.train_and_visualize(experiment.pk) == "skipped"
    experiment.refresh_from_db()
    assert experiment.status == "failed" and experiment.attempts == settings.MAX_ATTEMPTS
    assert "every time it was tried" in experiment.error
    assert not experiment.results.exists()


@pytest.mark.parametrize("finished", ["done", "failed", "cancelled"])
def test_a_redelivered_task_for_a_finished_experiment_does_nothing(
    alice: Any, finished: str
) -> None:
    experiment = running(alice)
    Experiment.objects.filter(pk=experiment.pk).update(status=finished, error="kept")
    assert tasks.train_and_visualize(experiment.pk) == "skipped"
    experiment.refresh_from_db()
    assert (experiment.status, experiment.error, experiment.attempts) == (finished, "kept", 1)


def test_a_running_experiment_on_another_worker_is_not_started_twice(alice: Any) -> None:
    experiment = running(alice)
    assert tasks.train_and_visualize(experiment.pk) == "skipped"
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.attempts == 1


def test_the_reaper_schedule_exists_as_a_fallback() -> None:
    schedule = Schedule.objects.get(func="experiments.tasks.reap_stale_experiments")
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    assert schedule.repeats == -1


def test_the_default_intervals_notice_a_dead_worker_within_a_minute_and_a_half() -> None:
    interval, timeout = django_settings.WATCHDOG_INTERVAL, django_settings.HEARTBEAT_TIMEOUT
    assert 15 <= interval <= 30 and timeout >= 2 * interval
    assert timeout + interval <= 90


def test_a_heartbeat_timeout_shorter_than_two_watchdog_rounds_is_refused() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "WATCHDOG_INTERVAL": "10",
        "HEARTBEAT_TIMEOUT": "15",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "HEARTBEAT_TIMEOUT (15) must be at least twice WATCHDOG_INTERVAL (10)" in result.stderr
