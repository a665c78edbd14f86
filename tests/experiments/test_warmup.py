"""A task worker warms itself up when it starts, before it takes a task, and nowhere else."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
from typing import Any

import pytest
from rest_framework.test import APIClient

from experiments import warmup, watchdog
from experiments.models import Experiment
from models_zoo.config import PRESETS, RunConfig
from tests.support.workers import Worker, wait_until


@pytest.fixture
def warm_ups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The warm-ups started in this process (recorded, not run), and no watchdog thread."""
    started: list[tuple[str, ...]] = []

    def record(models: tuple[str, ...] = warmup.WARMUP_MODELS) -> dict[str, float]:
        started.append(tuple(models))
        return {"import_s": 0.0}

    monkeypatch.setattr(warmup, "warm_up", record)
    monkeypatch.setattr(watchdog, "start", lambda interval=None: None)
    return started


def spawn(proc_name: str) -> None:
    from django_q.signals import post_spawn

    post_spawn.send(sender="django_q", proc_name=proc_name)


@pytest.mark.django_db
def test_the_warmup_runs_only_in_the_worker_process_the_signal_names(
    warm_ups: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from django_q.conf import Conf
    from django_q.tasks import async_task

    this_process = multiprocessing.current_process().name
    # Sync mode runs django-q's worker loop, signal included, in this very process.
    assert Conf.SYNC
    async_task("math.floor", 2.5)
    spawn(this_process)
    assert warm_ups == []

    monkeypatch.setattr(Conf, "SYNC", False)
    spawn("Process-1:1")  # sent from a process that is not that worker
    settings.WORKER_WARMUP = False
    spawn(this_process)
    assert warm_ups == []

    settings.WORKER_WARMUP = True
    spawn(this_process)
    assert warm_ups == [warmup.WARMUP_MODELS]


def test_a_failed_warmup_is_logged_and_the_worker_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django_q.conf import Conf

    def fails(models: Any = ()) -> dict[str, float]:
        raise MemoryError("no room for TensorFlow")

    monkeypatch.setattr(warmup, "warm_up", fails)
    monkeypatch.setattr(Conf, "SYNC", False)
    with caplog.at_level(logging.INFO, logger="experiments.warmup"):
        warmup.on_worker_spawn("django_q", proc_name=multiprocessing.current_process().name)
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "could not warm up" in record.getMessage() and record.exc_info is not None


def test_the_warmup_is_the_paper_preset_cut_to_one_epoch_and_one_step() -> None:
    for model in warmup.WARMUP_MODELS:
        paper = RunConfig.from_dict(
            {**PRESETS["paper"], "classes": list(warmup.WARMUP_CLASSES), "model": model}
        )
        cut = warmup.warmup_config(model)
        assert (cut.epochs, cut.max_steps) == (1, 1)
        assert dataclasses.replace(cut, epochs=paper.epochs, max_steps=paper.max_steps) == (
            dataclasses.replace(paper, seed=cut.seed)
        )


@pytest.mark.slow
def test_after_the_warmup_a_paper_run_traces_nothing_new() -> None:
    """The ML core keeps its compiled functions by the shapes that change the graph: after
    the warm-up, a paper-preset run finds every one it needs already there."""
    from models_zoo import generation, pipeline, training

    training.clear_cache()
    generation.clear_cache()
    warmup.warm_up(models=("mlp",))
    traced = (set(training._GRAPHS), set(generation._GENERATORS))
    assert all(traced)
    config = RunConfig.from_dict(
        {**PRESETS["paper"], "classes": list(warmup.WARMUP_CLASSES), "epochs": 3, "seed": 7}
    )
    pipeline.run(config)
    assert (set(training._GRAPHS), set(generation._GENERATORS)) == traced


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_warms_up_before_it_takes_its_first_task(
    start_cluster: Any, alice_api: APIClient
) -> None:
    worker: Worker = start_cluster(workers=1, env={"WORKER_WARMUP": "true"})
    # Sent at once: the worker is still warming up, and the task waits for it.
    config = {**PRESETS["paper"], "classes": list(warmup.WARMUP_CLASSES), "epochs": 5}
    response = alice_api.post("/api/v1/experiments/", config, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    wait_until(
        lambda: Experiment.objects.get(pk=pk).status not in ("queued", "running"),
        "the run",
        workers=[worker],
    )
    experiment = Experiment.objects.get(pk=pk)
    assert experiment.status == "done", experiment.error
    assert set(experiment.timings) >= {"train_s", "visualize_s"}

    log = worker.output()
    warming = log.find("warming up before its first task")
    warmed = log.find("warmed up in")
    taken = log.find(f"processing experiment-{pk}")
    assert -1 < warming < warmed < taken, log
    assert "mlp" in log[warmed : log.index("\n", warmed)]
