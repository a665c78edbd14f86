"""Several worker processes on one queue: every experiment is processed exactly once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_q.models import Task

from experiments import services
from experiments.models import ClassResult, Experiment
from tests.conftest import StartWorkers
from tests.factories import TINY_MLP_THREE_CLASSES
from tests.support.workers import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

EXPERIMENTS = 6


def test_two_cluster_processes_process_every_experiment_exactly_once(
    start_cluster: StartWorkers, alice: Any, bob: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = EXPERIMENTS
    clusters = [start_cluster(workers=1), start_cluster(workers=1)]
    ids = [
        services.experiment_create(user=user, config={**TINY_MLP_THREE_CLASSES, "seed": seed}).pk
        for seed, user in enumerate([alice, bob] * (EXPERIMENTS // 2))
    ]

    def all_finished_and_recorded() -> bool:
        finished = Experiment.objects.filter(pk__in=ids, status__in=Experiment.FINISHED).count()
        recorded = Task.objects.filter(name__in=[f"experiment-{pk}" for pk in ids]).count()
        return finished == EXPERIMENTS and recorded == EXPERIMENTS

    wait_until(all_finished_and_recorded, "every experiment", workers=clusters, deadline_s=180)

    def logs() -> str:
        return "\n".join(cluster.output() for cluster in clusters)

    for experiment in Experiment.objects.filter(pk__in=ids):
        assert experiment.status == "done", experiment.error
        assert experiment.attempts == 1
        assert ClassResult.objects.filter(experiment=experiment).count() == 3
    # One recorded execution per experiment, each of which trained it ("done", not "skipped").
    tasks = Task.objects.filter(name__in=[f"experiment-{pk}" for pk in ids])
    assert sorted(task.name for task in tasks) == sorted(f"experiment-{pk}" for pk in ids)
    assert {task.result for task in tasks} == {"done"}
    # Each experiment was taken by exactly one worker, and both clusters did some of the work.
    taken = [re.findall(r"processing (experiment-\d+)", cluster.output()) for cluster in clusters]
    assert sorted(taken[0] + taken[1]) == sorted(f"experiment-{pk}" for pk in ids), logs()
    assert all(taken), logs()
