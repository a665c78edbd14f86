"""What a worker's warm-up saves: the first run in a fresh process, with and without it.

Each measurement is a fresh Python process, as a fresh worker is. ``cold`` times the first
run (TensorFlow's import included, as a worker's first task pays it) and then a second run
of the same settings; ``warm`` first runs the worker's warm-up (experiments.warmup), then
the same two runs. Runs use the paper preset on the paper's six classes (the shapes the
warm-up traces) and, with ``--other``, on three classes (shapes it does not trace).

With ``--worker`` the runs go through a real task worker instead (``manage.py qcluster``
on a temporary SQLite database, one worker process), started with ``WORKER_WARMUP=false``
(``cold``: the run is queued as soon as the worker runs) and ``true`` (``warm``: queued once
the worker has logged its warm-up); each run is timed from its creation to ``done``.

    .venv/bin/python bench/bench_warmup.py --repeats 3 [--models mlp,cnn] [--other] [--worker]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OTHER_CLASSES = ("box", "line", "circle")


def child(mode: str, model: str, other: bool) -> dict[str, float]:
    """One fresh process's figures (seconds)."""
    sys.path.insert(0, str(ROOT))
    from experiments import warmup
    from models_zoo.config import PRESETS, RunConfig

    classes = OTHER_CLASSES if other else warmup.WARMUP_CLASSES
    config = RunConfig.from_dict(
        {**PRESETS["paper"], "classes": list(classes), "model": model, "seed": 1}
    )
    figures: dict[str, float] = {}
    if mode == "warm":
        began = time.perf_counter()
        warmup.warm_up()
        figures["warmup"] = time.perf_counter() - began
    for label in ("first", "second"):
        began = time.perf_counter()
        from models_zoo import pipeline

        result = pipeline.run(config)
        figures[label] = time.perf_counter() - began
        figures[f"{label}_train_vis"] = result.timings["train_s"] + result.timings["visualize_s"]
    return figures


# Run in the worker's site by ``manage.py shell``: two runs one after the other, each timed
# by its own record from its creation (its task is sent when that commits) to its end.
RUNS_SCRIPT = """
import json, time
from django.contrib.auth import get_user_model
from experiments import services
from experiments.models import Experiment
user, _ = get_user_model().objects.get_or_create(username="bench")
# Start as a web process that has served a request: routes loaded, a configuration checked.
from django.urls import get_resolver
get_resolver().url_patterns
services.validate_config(user=user, config=CONFIG)
figures = {}
for label in ("first", "second"):
    experiment = services.experiment_create(user=user, config=CONFIG)
    while Experiment.objects.filter(pk=experiment.pk, status__in=("queued", "running")).exists():
        time.sleep(0.02)
    experiment.refresh_from_db()
    assert experiment.status == "done", experiment.error
    figures[label] = (experiment.finished_at - experiment.created_at).total_seconds()
    timings = experiment.timings
    figures[label + "_train_vis"] = timings["train_s"] + timings["visualize_s"]
    figures[label + "_wait"] = (experiment.started_at - experiment.created_at).total_seconds()
print(json.dumps(figures))
"""


def measure_worker(mode: str, model: str, other: bool) -> dict[str, float]:
    """The first two runs of a fresh real worker, with its warm-up off (cold) or on (warm)."""
    import tempfile

    from local_site import manage, start_worker, stop_worker

    classes = OTHER_CLASSES if other else ("box", "line", "circle", "tri", "noise", "noise_blur")
    config = {"classes": list(classes), "model": model, "seed": 1}
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shapeshop_site.settings",
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "MEDIA_ROOT": f"{folder}/media",
            "Q_CLUSTER_NAME": f"bench-warmup-{os.getpid()}",
            "Q_WORKERS": "1",
            "WORKER_WARMUP": "true" if mode == "warm" else "false",
        }
        manage(env, "migrate", "--no-input")
        worker = start_worker(env, log=Path(folder) / "worker.log")
        try:
            began = time.perf_counter()
            if mode == "warm":
                while "warmed up in" not in worker.output():
                    if worker.process.poll() is not None or time.perf_counter() - began > 300:
                        raise SystemExit(f"the worker did not warm up:\n{worker.output()}")
                    time.sleep(0.05)
            warmed = time.perf_counter() - began
            output = manage(env, "shell", "-c", f"CONFIG = {config!r}\n{RUNS_SCRIPT}")
        finally:
            stop_worker(worker)
    figures = json.loads(output.strip().splitlines()[-1])
    if mode == "warm":
        figures["warmup"] = warmed
    return dict(figures)


def measure(mode: str, model: str, other: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, "--models", model]
    if other:
        command.append("--other")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    output = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if output.returncode != 0:
        raise SystemExit(output.stderr)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--other", action="store_true", help="three classes, untraced shapes")
    parser.add_argument("--worker", action="store_true", help="through a real task worker")
    parser.add_argument("--child", choices=("cold", "warm"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.models, args.other)))
        return
    print(
        f"{'model':6} {'mode':5} {'warm-up':>8} {'1st run':>8} {'2nd run':>8} "
        f"{'1st t+v':>8} {'2nd t+v':>8} {'1st wait':>8} {'2nd wait':>8}"
    )
    for model in args.models.split(","):
        for mode in ("cold", "warm"):
            how = measure_worker if args.worker else measure
            rows = [how(mode, model, args.other) for _ in range(args.repeats)]

            def median(key: str, rows: list[dict[str, float]] = rows) -> str:
                values = [row[key] for row in rows if key in row]
                return f"{statistics.median(values):7.2f}s" if values else f"{'-':>8}"

            print(
                f"{model:6} {mode:5} {median('warmup')} {median('first')} {median('second')} "
                f"{median('first_train_vis')} {median('second_train_vis')} "
                f"{median('first_wait')} {median('second_wait')}"
            )


if __name__ == "__main__":
    main()
