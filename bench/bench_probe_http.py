"""Latency of the live probe over HTTP: POST /api/v1/experiments/{id}/probe/ as a page sends
it while a person draws, timed at the client.

Trains one run of the paper MLP and one of the paper CNN (six classes, few epochs: the
probe's cost depends on the model's shape, not on how long it trained) in a ``manage.py
shell`` on a temporary SQLite database and media folder, starts the web server on loopback
(gunicorn with the production settings file and one process, or ``manage.py runserver``; no
task worker: the probe never queues work), then posts drawings to each run's
probe and reports the median and 95th percentile of the round trip, with the load average
before and after (the figures mean little on a machine that is busy with other work).

    .venv/bin/python bench/bench_probe_http.py [--requests 300] [--warmup 20] [--server runserver]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
from local_site import PYTHON, free_port, manage, start_web, stop, wait_until_serving

SETUP = ["box", "line", "circle", "tri", "noise", "noise_blur"]
MODELS = ("mlp", "cnn")
TARGET_P95_MS = 50.0

# Runs in the shell: a user with a token and one trained run per model, trained here by the
# worker's own task (the queue is never served: no worker runs in this benchmark).
TRAIN = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from experiments import services, tasks
from experiments.models import Experiment
user = get_user_model().objects.create_user("bench", password="bench-password-123")
runs = {}
for model in MODELS:
    config = {"classes": SETUP, "model": model, "epochs": 3, "max_steps": 5, "seed": 1}
    experiment = services.experiment_create(user=user, config=config)
    tasks.train_and_visualize(experiment.pk)
    experiment.refresh_from_db()
    assert experiment.status == "done", experiment.error
    runs[model] = experiment.pk
print(json.dumps({"token": Token.objects.create(user=user).key, "runs": runs}))
"""


def drawings(count: int) -> list[list[list[float]]]:
    """Drawing-like grids: strokes of ink on black, a different one per request."""
    rng = np.random.default_rng(0)
    grids = []
    for _ in range(count):
        grid = np.zeros((28, 28))
        for _ in range(3):
            row, col = rng.integers(4, 24, 2)
            grid[row : row + 2, col - 4 : col + 4] = 1.0
            grid[row - 4 : row + 4, col : col + 2] = 1.0
        grids.append(grid.round(3).tolist())
    return grids


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share * 100))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per model")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "runserver"),
        default="gunicorn",
        help="the production server (gunicorn.conf.py, one process) or Django's own",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="shapeshop-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "DEBUG": "true",
        "PROBE_RATE": "1000000/minute",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--no-input", "-v0")
    code = f"MODELS = {MODELS!r}\nSETUP = {SETUP!r}\n{TRAIN}"
    made = json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])
    web_log = workdir / "web.log"
    if args.server == "gunicorn":
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        command = [gunicorn, "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"]
        env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1", "WEB_THREADS": "2"}
    else:
        command = [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    web = start_web(command, env, web_log)
    base = f"http://127.0.0.1:{port}"
    grids = drawings(args.requests)
    results: dict[str, list[float]] = {}
    load_before = os.getloadavg()
    try:
        wait_until_serving(
            f"{base}/", processes=[web], output=lambda: web_log.read_text(errors="replace")
        )
        session = requests.Session()
        session.headers["Authorization"] = f"Token {made['token']}"
        for model in MODELS:
            url = f"{base}/api/v1/experiments/{made['runs'][model]}/probe/"
            for grid in grids[: args.warmup]:
                session.post(url, json={"pixels": grid}, timeout=30).raise_for_status()
            times = []
            for grid in grids:
                started = time.perf_counter()
                response = session.post(url, json={"pixels": grid}, timeout=30)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            results[model] = times
    finally:
        stop(web)
    load_after = os.getloadavg()

    cores = os.cpu_count()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({cores} cores)")
    print(f"{args.requests} POSTs per model, {len(SETUP)} classes, {args.server}, one client")
    print(f"{'model':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    ok = True
    for model, times in results.items():
        p95 = percentile(times, 0.95)
        print(f"{model:>5} {statistics.median(times):8.2f} {p95:8.2f} {max(times):8.2f}")
        ok = ok and p95 <= TARGET_P95_MS
    print(f"target p95 <= {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
