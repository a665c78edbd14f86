"""Each task worker warms itself up when it starts, before it takes a task.

A fresh worker process pays, on its first run, for importing TensorFlow and for tracing the
compiled training and generation functions: about 4 s more than every later run. The
worker pays it at start instead, while it takes no task, so that no user waits for it.

The warm-up runs the paper preset once per model in ``WARMUP_MODELS``, cut to one epoch
and one generation step: the ML core keeps its traced functions keyed by the shapes that
change the graph (models_zoo.training and models_zoo.generation: the architecture, the
number of classes, training and validation images, batch size, optimizer, objective and
the generation regularisers), not by epochs or steps, so a paper-preset run on six classes
then finds every function it needs already traced. Other shapes trace their own graphs on
first use (a fraction of a second each), but no longer pay the import.

TensorFlow runs in the worker process only, after django-q has forked it: a process that
has run a TensorFlow op forks children that hang (see experiments.tasks). The warm-up is
therefore started by django-q's ``post_spawn`` signal (experiments.watchdog connects it),
which each worker sends from its own process before it reads its first task. It never runs
in sync mode, where django-q's worker loop runs inside a web request, a shell or a test,
and is switched off by ``WORKER_WARMUP=false``.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from models_zoo.config import PRESETS, RunConfig

logger = logging.getLogger(__name__)

WARMUP_MODELS = ("mlp", "cnn")
# The paper's comparison of the two models (its second figure): six classes, 60 images.
WARMUP_CLASSES = ("box", "line", "circle", "tri", "noise", "noise_blur")


def warmup_config(model: str) -> RunConfig:
    """The paper preset for ``model``, cut to one epoch and one generation step."""
    return RunConfig.from_dict(
        {
            **PRESETS["paper"],
            "classes": list(WARMUP_CLASSES),
            "model": model,
            "epochs": 1,
            "max_steps": 1,
            "seed": 0,
        }
    )


def warm_up(models: Sequence[str] = WARMUP_MODELS) -> dict[str, float]:
    """Imports TensorFlow and runs each model's warm-up run; returns the seconds each took
    (``import_s``, then one entry per model)."""
    began = time.perf_counter()
    from models_zoo import pipeline

    seconds = {"import_s": time.perf_counter() - began}
    for model in models:
        began = time.perf_counter()
        pipeline.run(warmup_config(model))
        seconds[f"{model}_s"] = time.perf_counter() - began
    return seconds


def on_worker_spawn(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    """django-q's ``post_spawn`` receiver: warms this worker up before it takes a task.

    Only in the worker process the signal names (django-q sends it from there): never in
    sync mode, and never in a process that sends the signal for another. A warm-up that
    fails is logged and the worker goes on: its first run will only be slower.
    """
    from django_q.conf import Conf

    if Conf.SYNC or not settings.WORKER_WARMUP:
        return
    if proc_name != multiprocessing.current_process().name:
        return
    logger.info("Worker %s warming up before its first task", proc_name)
    began = time.perf_counter()
    try:
        seconds = warm_up()
    except Exception:
        logger.warning(
            "Worker %s could not warm up; its first run will be slower", proc_name, exc_info=True
        )
        return
    parts = ", ".join(f"{name[:-2]} {value:.1f} s" for name, value in seconds.items())
    logger.info(
        "Worker %s warmed up in %.1f s (%s); taking tasks",
        proc_name,
        time.perf_counter() - began,
        parts,
    )
