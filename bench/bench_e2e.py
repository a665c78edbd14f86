"""End-to-end latency of one experiment through the platform: POST to ``status: done``.

Starts a web server and a task worker (one django-q worker) as subprocesses on loopback,
on a temporary SQLite database and media folder, creates a user with an API token, warms
the worker up with one run (TensorFlow import, first graph trace), then times several runs
of the paper's second figure setup (box, line, circle, tri, noise, noise_blur; MLP, black
initial image, step 0.005, 100 epochs). For each run it reports the wall time from sending
the POST to reading ``done``, the time the ML core itself spent (the pipeline's own
timings: build, train, visualize) and the difference: the platform's overhead (queueing,
progress writes, storing images and weights, HTTP, polling), and how long each run waited
in the queue before the worker started it.

    .venv/bin/python bench/bench_e2e.py [--runs 7] [--poll 0.02] [--model mlp]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from local_site import (
    PYTHON,
    Worker,
    free_port,
    manage,
    start_web,
    start_worker,
    stop,
    stop_worker,
    wait_until_serving,
)

SETUP = ["box", "line", "circle", "tri", "noise", "noise_blur"]
TARGET_MEDIAN_S = 1.5
TARGET_OVERHEAD_S = 0.3


def create_token(env: dict[str, str]) -> str:
    code = (
        "from django.contrib.auth import get_user_model;"
        "from rest_framework.authtoken.models import Token;"
        "user = get_user_model().objects.create_user('bench', password='bench-password-123');"
        "print(Token.objects.create(user=user).key)"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def one_run(
    session: requests.Session, base: str, config: dict[str, Any], poll: float
) -> dict[str, Any]:
    started = time.perf_counter()
    response = session.post(f"{base}/api/v1/experiments/", json=config, timeout=30)
    response.raise_for_status()
    pk = response.json()["id"]
    while True:
        body = session.get(f"{base}/api/v1/experiments/{pk}/", timeout=30).json()
        if body["status"] not in ("queued", "running"):
            break
        time.sleep(poll)
    elapsed = time.perf_counter() - started
    if body["status"] != "done":
        raise SystemExit(f"run {pk} ended {body['status']}: {body['error']}")
    core = sum(body["timings"].get(key, 0.0) for key in ("build_s", "train_s", "visualize_s"))
    return {
        "id": pk,
        "e2e_s": elapsed,
        "core_s": core,
        "train_s": body["timings"]["train_s"],
        "visualize_s": body["timings"]["visualize_s"],
        "overhead_s": elapsed - core,
        "wait_s": (
            datetime.fromisoformat(body["started_at"]) - datetime.fromisoformat(body["created_at"])
        ).total_seconds(),
        "accuracy": body["accuracy"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs after one warm-up")
    parser.add_argument("--poll", type=float, default=0.02, help="status poll interval, s")
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="shapeshop-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "DEBUG": "true",
        "Q_WORKERS": "1",
        "Q_CLUSTER_NAME": f"bench-{port}",
        "EXPERIMENT_CREATE_RATE": "10000/minute",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--no-input", "-v0")
    token = create_token(env)
    web_log = workdir / "web.log"
    web = start_web(
        [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], env, web_log
    )
    base = f"http://127.0.0.1:{port}"
    worker: Worker | None = None
    try:
        worker = start_worker(env, log=workdir / "qcluster.log")
        wait_until_serving(
            f"{base}/",
            processes=[web, worker.process],
            output=lambda: web_log.read_text(errors="replace"),
        )
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        config = {
            "classes": SETUP,
            "model": args.model,
            "initial_image": "black",
            "step_size": 0.005,
            "epochs": args.epochs,
        }
        warm = one_run(session, base, {**config, "seed": 1000}, args.poll)
        print(f"warm-up run (TensorFlow import, first trace): {warm['e2e_s']:.2f} s")
        runs = [one_run(session, base, {**config, "seed": i}, args.poll) for i in range(args.runs)]
    finally:
        stop(web)
        if worker is not None:
            stop_worker(worker)

    print(f"\n{len(runs)} runs, {args.model}, {len(SETUP)} classes, {args.epochs} epochs")
    print(
        f"{'run':>4} {'e2e s':>7} {'core s':>7} {'train s':>8} {'vis s':>6} "
        f"{'over s':>7} {'wait s':>7} acc"
    )
    for number, run in enumerate(runs, 1):
        print(
            f"{number:>4} {run['e2e_s']:7.3f} {run['core_s']:7.3f} {run['train_s']:8.3f} "
            f"{run['visualize_s']:6.3f} {run['overhead_s']:7.3f} {run['wait_s']:7.3f} "
            f"{run['accuracy']:.2f}"
        )
    median_e2e = statistics.median(r["e2e_s"] for r in runs)
    median_core = statistics.median(r["core_s"] for r in runs)
    median_overhead = statistics.median(r["overhead_s"] for r in runs)
    median_wait = statistics.median(r["wait_s"] for r in runs)
    print(
        f"\nmedian end to end {median_e2e:.3f} s (target <= {TARGET_MEDIAN_S} s), "
        f"ML core {median_core:.3f} s, overhead {median_overhead:.3f} s "
        f"(target <= {TARGET_OVERHEAD_S} s); queued to started {median_wait:.3f} s"
    )
    ok = median_e2e <= TARGET_MEDIAN_S and median_overhead <= TARGET_OVERHEAD_S
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
