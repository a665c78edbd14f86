"""A worker killed outright (SIGKILL, as the out-of-memory killer does) mid-training."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from django_q.models import Schedule

from experiments import services
from experiments.models import Experiment
from tests.conftest import StartWorkers
from tests.factories import TINY_MLP_THREE_CLASSES
from tests.support.workers import descendants, rss_bytes, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

# Small intervals so that the test is quick; the defaults are 15 s and 60 s.
WATCHDOG = {"WATCHDOG_INTERVAL": "1", "HEARTBEAT_TIMEOUT": "4"}
# Long enough to be killed while it trains: 150 images, batch 1, 500 epochs.
LONG = {"classes": ["box", "line", "circle"], "epochs": 500, "copies": 50, "batch_size": 1}


def status_of(pk: int) -> str:
    return Experiment.objects.values_list("status", flat=True).get(pk=pk)


def training(pk: int) -> bool:
    experiment = Experiment.objects.get(pk=pk)
    return experiment.status == "running" and experiment.progress.get("phase") == "train"


def kill_the_training_worker(cluster_pid: int) -> int:
    """SIGKILLs the worker process that trains: the one that has loaded TensorFlow."""
    victim = max(descendants(cluster_pid), key=rss_bytes)
    assert rss_bytes(victim) > 300 * 2**20, "no process of the cluster has TensorFlow loaded"
    os.kill(victim, signal.SIGKILL)
    return victim


def test_a_killed_worker_leaves_a_failed_experiment_and_the_next_one_runs(
    start_cluster: StartWorkers, alice: Any, settings: Any
) -> None:
    # Without the once-a-minute fallback schedule, only the watchdog can notice the death.
    Schedule.objects.filter(func="experiments.tasks.reap_stale_experiments").delete()
    cluster = start_cluster(workers=1, env=WATCHDOG)
    long = services.experiment_create(user=alice, config={**LONG, "seed": 1}).pk
    wait_until(lambda: training(long), "training to start", workers=[cluster])

    kill_the_training_worker(cluster.process.pid)
    wait_until(lambda: status_of(long) != "running", "the watchdog", workers=[cluster])

    experiment = Experiment.objects.get(pk=long)
    assert experiment.status == "failed"
    assert "worker stopped" in experiment.error and "run it again" in experiment.error
    assert experiment.attempts == 1 and not experiment.results.exists()

    # The cluster replaced its worker; the next experiment runs normally.
    after = services.experiment_create(user=alice, config={**TINY_MLP_THREE_CLASSES, "seed": 2}).pk
    wait_until(
        lambda: status_of(after) not in ("queued", "running"), "the next run", workers=[cluster]
    )
    assert Experiment.objects.get(pk=after).status == "done"
    assert status_of(long) == "failed"  # never trained again


def test_below_max_attempts_a_killed_run_is_trained_again_to_the_end(
    start_cluster: StartWorkers, alice: Any, settings: Any
) -> None:
    settings.MAX_ATTEMPTS = 2  # this process enqueues nothing here; the workers decide
    cluster = start_cluster(workers=1, env={**WATCHDOG, "MAX_ATTEMPTS": "2"})
    pk = services.experiment_create(user=alice, config={**LONG, "epochs": 40, "seed": 3}).pk
    wait_until(lambda: training(pk), "training to start", workers=[cluster])
    kill_the_training_worker(cluster.process.pid)
    wait_until(
        lambda: status_of(pk) not in ("queued", "running"), "the second attempt", workers=[cluster]
    )
    experiment = Experiment.objects.get(pk=pk)
    assert experiment.status == "done", experiment.error
    assert experiment.attempts == 2 and experiment.results.count() == 3
