"""Server time of the history page and of a 6-experiment comparison, with query counts.

Creates one user with 500 finished experiments of 6 classes each, without training: each
is created, started and finished by the platform's own services with made-up arrays
(tests.factories.finished_run), at realistic sizes: the configuration, a copy of the 6 class
images it trained on (28 x 28 pixels each), 100 epochs of loss and accuracy curves, a 6 x 6
cross-class matrix and the confusion matrix; each result holds its 28 x 28 float32 image
(.npy) and its PNG files, and one in ten also 50 snapshot frames. Then times, through
Django's test client (the full middleware stack, no network), the history page (first page,
newest first; and a filtered page), the run table of every run (JSON, sorted, and CSV), the
compare API for 6 experiments and its CSV export, and counts their SQL queries.

    .venv/bin/python bench/bench_history.py [--experiments 500] [--repeat 30]
        [--database-url postgres://postgres@127.0.0.1:5432/shapeshop_bench]

The default database is a temporary SQLite file; a PostgreSQL URL must name an existing
database the benchmark may empty: it is flushed, then migrated.
"""

from __future__ import annotations

import argparse
import logging
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
SNAPSHOT_FRAMES = 50


def populate(user: Any, count: int) -> list[int]:
    """``count`` finished experiments of 6 classes, finished through the platform's own
    services with made-up arrays (the tests' factory), without training."""
    from tests.factories import finished_run

    return [
        finished_run(
            user,
            classes=CLASSES,
            model="cnn" if number % 2 else "mlp",
            seed=number,
            epochs=EPOCHS,
            snapshot_frames=SNAPSHOT_FRAMES if number % 10 == 1 else 0,
            tags=["paper"] if number % 5 == 0 else [],
        ).pk
        for number in range(1, count + 1)
    ]


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
    # Each finished run's task goes to the broker on commit (where it would find the run
    # done); no worker runs here, so the line django-q logs for each says nothing.
    logging.getLogger("django-q").setLevel(logging.WARNING)
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
        ("history page, table view (shell)", "/history/?view=table", False),
        ("run table API, every run", "/api/v1/history/table/", True),
        ("run table API, by a class's |r|", "/api/v1/history/table/?sort=-r:tri&q=cnn", False),
        ("run table CSV, every run", "/api/v1/history/table/csv/", False),
        ("compare API, 6 experiments", f"/api/v1/compare/?ids={six}", True),
        ("compare CSV, 6 experiments", f"/api/v1/compare/csv/?ids={six}", False),
        ("compare page (shell)", f"/compare/?ids={six}", False),
    ]
    passed = True
    for name, url, target in checks:
        times, queries, size = timed(client, url, args.repeat)
        passed = report(name, times, queries, size, target) and passed
    print(
        f"targets: median <= {TARGET_MS:.0f} ms for the history page, the run table "
        "and the 6-way compare"
    )
    if not passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
