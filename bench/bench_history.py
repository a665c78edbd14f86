"""Server time of the history page and of a 6-experiment comparison, with query counts.

Creates one user with 500 finished experiments of 6 classes each, stored directly (no
training) with realistic sizes: the configuration, a copy of the 6 class images it trained on
(28 x 28 pixels each), 100 epochs of loss and accuracy curves, a 6 x 6 cross-class matrix and
the confusion matrix; each result holds its 28 x 28 float32 image (.npy) and one in ten also
50 snapshot frames. Then times, through Django's test client (the full middleware stack,
no network), the history page (first page, newest first; and a filtered page), the compare
API for 6 experiments and its CSV export, and counts their SQL queries.

    .venv/bin/python bench/bench_history.py [--experiments 500] [--repeat 30]
        [--database-url postgres://postgres@127.0.0.1:5432/shapeshop_bench]

The default database is a temporary SQLite file; a PostgreSQL URL must name an existing
database the benchmark may empty: it is flushed, then migrated.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0
CLASSES = ["box", "line", "circle", "tri", "noise", "noise_blur"]
EPOCHS = 100


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, np.float32), allow_pickle=False)
    return buffer.getvalue()


def populate(user: Any, count: int) -> list[int]:
    """``count`` finished experiments of 6 classes, as a worker stores them."""
    from experiments.models import ClassResult, Experiment
    from models_zoo import shapes
    from models_zoo.config import RunConfig

    rng = np.random.default_rng(0)
    trained_on = [
        {
            "key": key,
            "name": shapes.get(key).name,
            "noise": key if shapes.get(key).is_noise else None,
            "pixels": None if shapes.get(key).is_noise else shapes.image(key).tolist(),
        }
        for key in CLASSES
    ]
    experiments = []
    for number in range(1, count + 1):
        model = "cnn" if number % 2 else "mlp"
        steps = np.arange(1, EPOCHS + 1)
        history = {
            "loss": (1.5 / steps).tolist(),
            "accuracy": (1 - 0.6 / steps).tolist(),
            "val_loss": (1.7 / steps).tolist(),
            "val_accuracy": (1 - 0.7 / steps).tolist(),
        }
        experiments.append(
            Experiment(
                owner=user,
                number=number,
                config=RunConfig(classes=tuple(CLASSES), model=model, seed=number).to_dict(),
                model_name=model,
                class_keys=CLASSES,
                trained_on=trained_on,
                seed=number,
                status=Experiment.Status.DONE,
                accuracy=0.98,
                loss=0.05,
                val_accuracy=0.9,
                val_loss=0.2,
                history=history,
                training={
                    "per_class_accuracy": [1.0] * 6,
                    "confusion": np.eye(6, dtype=int).tolist(),
                    "epochs_run": EPOCHS,
                },
                cross_r=rng.uniform(0, 1, (6, 6)).round(4).tolist(),
                timings={"build_s": 0.1, "train_s": 1.2, "visualize_s": 0.4},
                progress={"phase": "done", "done": 1, "total": 1, "fraction": 1.0, "metrics": {}},
                tags=["paper"] if number % 5 == 0 else [],
            )
        )
    Experiment.objects.bulk_create(experiments, batch_size=100)
    ids = list(
        Experiment.objects.filter(owner=user).order_by("number").values_list("pk", flat=True)
    )
    image = npy(rng.uniform(0, 1, (28, 28)))
    frames = npy(rng.uniform(0, 1, (50, 28, 28)))
    results = [
        ClassResult(
            experiment_id=pk,
            position=position,
            class_key=key,
            name=shapes.get(key).name,
            image=f"results/{pk}/{position}-image.png",
            template=f"results/{pk}/{position}-template.png",
            image_raw=image,
            r=float(rng.uniform(0, 1)),
            steps=120,
            reached=True,
            probability=0.995,
            snapshots=frames if index % 10 == 0 else None,
        )
        for index, pk in enumerate(ids)
        for position, key in enumerate(CLASSES)
    ]
    ClassResult.objects.bulk_create(results, batch_size=500)
    return ids


def timed(client: Any, url: str, repeat: int) -> tuple[list[float], int, int]:
    """Server times in ms of ``repeat`` GETs (after one warm-up), the query count, bytes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Counted now: each request's start empties Django's query log again.
    query_count = len(queries)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times, query_count, len(response.content)


def report(name: str, times: list[float], queries: int, size: int, target: bool) -> bool:
    median = statistics.median(times)
    ok = median <= TARGET_MS
    verdict = (" ok" if ok else " OVER") if target else ""
    print(
        f"{name:<38} median {median:6.1f} ms   p90 {np.percentile(times, 90):6.1f} ms   "
        f"queries {queries:2d}   {size / 1024:6.1f} KiB{verdict}"
    )
    return ok or not target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiments", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="bench-history-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = f"{scratch}/media"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shapeshop_site.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    if args.database_url:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-123")
    start = time.perf_counter()
    ids = populate(user, args.experiments)
    print(
        f"{connection.vendor}: {len(ids)} experiments x {len(CLASSES)} classes stored "
        f"in {time.perf_counter() - start:.1f} s; {args.repeat} timed requests each"
    )
    client = Client()
    client.force_login(user)
    six = ",".join(str(pk) for pk in ids[-6:])
    checks: list[tuple[str, str, bool]] = [
        ("history page (page 1 of 25)", "/history/", True),
        ("history page, filtered (tag, class)", "/history/?tag=paper&class=tri&page=2", False),
        ("history page, last page, oldest first", "/history/?order=oldest&page=25", False),
        ("history API (page 1)", "/api/v1/history/", False),
        ("compare API, 6 experiments", f"/api/v1/compare/?ids={six}", True),
        ("compare CSV, 6 experiments", f"/api/v1/compare/csv/?ids={six}", False),
        ("compare page (shell)", f"/compare/?ids={six}", False),
    ]
    passed = True
    for name, url, target in checks:
        times, queries, size = timed(client, url, args.repeat)
        passed = report(name, times, queries, size, target) and passed
    print(f"targets: median <= {TARGET_MS:.0f} ms for the history page and the 6-way compare")
    if not passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
