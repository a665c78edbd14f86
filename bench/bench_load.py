"""Load benchmark: many users at once against a real server and 1, 2 or 4 task workers.

For each worker count it starts, on loopback and on a fresh temporary database, a web server
(``manage.py runserver --noreload``, threaded; or with ``--server gunicorn`` the production
server, 2 processes of 4 threads) and one ``manage.py qcluster`` with that many
worker processes, warms the workers up (TensorFlow import), then lets USERS simulated users
(threads) each

1. sign up through the sign-up page (CSRF token and all),
2. get an API token from ``POST /api/v1/auth/token/``,
3. create an experiment (MLP, 3 classes, 20 epochs: small but real),
4. poll it until it is done, and
5. open their history (``GET /api/v1/experiments/``).

It reports throughput (experiments finished per minute, from the first POST to the last
``done``), p50/p95 latency from the POST to reading ``done``, errors (any unexpected status,
any experiment not ``done``), the peak resident memory of the cluster's processes (the
largest single worker and all of them together), and afterwards checks the database: every
experiment finished, none stuck in ``queued``/``running``, each started exactly once.

    .venv/bin/python bench/bench_load.py                       # 50 users; 1, 2, 4 workers
    .venv/bin/python bench/bench_load.py --workers 2 --users 20
    .venv/bin/python bench/bench_load.py --database postgres    # PostgreSQL + Redis broker
    .venv/bin/python bench/bench_load.py --server gunicorn      # the production web server

The limits that would stop 50 users from one address (token throttle, create throttle,
active experiments) are raised through the environment for the benchmark's server only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from local_site import (
    PYTHON,
    Worker,
    descendants,
    free_port,
    manage,
    rss_bytes,
    start_web,
    start_worker,
    stop,
    stop_worker,
    wait_until_serving,
)

PASSWORD = "load-test-password-4821"
CONFIG = {"classes": ["box", "line", "circle"], "model": "mlp", "epochs": 20}
POLL_S = 0.5
REQUEST_TIMEOUT_S = 60


@dataclass
class UserResult:
    user: int
    ok: bool = False
    error: str = ""
    posted_at: float = 0.0
    done_at: float = 0.0
    experiment: int | None = None
    statuses: list[int] = field(default_factory=list)


class MemoryWatch(threading.Thread):
    """Samples the resident memory of a process tree every 0.2 s; keeps the peaks."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_one = 0
        self.peak_total = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            sizes = [rss_bytes(p) for p in [self.pid, *descendants(self.pid)]]
            self.peak_one = max(self.peak_one, max(sizes, default=0))
            self.peak_total = max(self.peak_total, sum(sizes))


def check(response: requests.Response, expected: int, result: UserResult, what: str) -> None:
    result.statuses.append(response.status_code)
    if response.status_code != expected:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:200]}")


def simulate_user(base: str, number: int, result: UserResult, deadline: float) -> None:
    session = requests.Session()
    try:
        page = session.get(f"{base}/accounts/signup/", timeout=REQUEST_TIMEOUT_S)
        check(page, 200, result, "sign-up page")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if match is None:
            raise RuntimeError("sign-up page: no CSRF token")
        username = f"user{number:03d}"
        signup = session.post(
            f"{base}/accounts/signup/",
            data={
                "csrfmiddlewaretoken": match.group(1),
                "username": username,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            headers={"Referer": f"{base}/accounts/signup/"},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT_S,
        )
        check(signup, 302, result, "sign-up")
        api = requests.Session()
        token = api.post(
            f"{base}/api/v1/auth/token/",
            json={"username": username, "password": PASSWORD},
            timeout=REQUEST_TIMEOUT_S,
        )
        check(token, 200, result, "token")
        api.headers["Authorization"] = f"Token {token.json()['token']}"

        result.posted_at = time.monotonic()
        created = api.post(
            f"{base}/api/v1/experiments/",
            json={**CONFIG, "seed": number},
            timeout=REQUEST_TIMEOUT_S,
        )
        check(created, 201, result, "create")
        result.experiment = created.json()["id"]
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError(f"experiment {result.experiment} not finished in time")
            detail = api.get(
                f"{base}/api/v1/experiments/{result.experiment}/", timeout=REQUEST_TIMEOUT_S
            )
            check(detail, 200, result, "poll")
            body = detail.json()
            if body["status"] not in ("queued", "running"):
                break
            time.sleep(POLL_S)
        result.done_at = time.monotonic()
        if body["status"] != "done":
            raise RuntimeError(f"experiment ended {body['status']}: {body['error']}")
        history = api.get(f"{base}/api/v1/experiments/", timeout=REQUEST_TIMEOUT_S)
        check(history, 200, result, "history")
        if [item["id"] for item in history.json()["results"]] != [result.experiment]:
            raise RuntimeError("history does not show exactly the user's one experiment")
        result.ok = True
    except Exception as error:
        result.error = f"user {number}: {type(error).__name__}: {error}"


def database_check(env: dict[str, str]) -> dict[str, Any]:
    code = (
        "import json;"
        "from django.db.models import Count, Max;"
        "from experiments.models import Experiment, ClassResult;"
        "rows = Experiment.objects.exclude(owner__username='warmup');"
        "print(json.dumps({"
        "'statuses': dict(rows.values_list('status').annotate(n=Count('id'))),"
        "'max_attempts': rows.aggregate(m=Max('attempts'))['m'],"
        "'results': ClassResult.objects.filter(experiment__in=rows).count()}))"
    )
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def warm_up(env: dict[str, str], base: str, workers: int, deadline_s: float = 120) -> None:
    """One small run per worker, so that every worker has imported TensorFlow."""
    code = (
        "from django.contrib.auth import get_user_model;"
        "from rest_framework.authtoken.models import Token;"
        "user = get_user_model().objects.create_user('warmup', password='warm-up-password-1');"
        "print(Token.objects.create(user=user).key)"
    )
    token = manage(env, "shell", "-c", code).strip().splitlines()[-1]
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    ids = []
    for seed in range(workers):
        response = api.post(
            f"{base}/api/v1/experiments/",
            json={**CONFIG, "epochs": 2, "max_steps": 20, "seed": seed},
            timeout=REQUEST_TIMEOUT_S,
        )
        response.raise_for_status()
        ids.append(response.json()["id"])
    deadline = time.monotonic() + deadline_s
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for pk in list(pending):
            body = api.get(f"{base}/api/v1/experiments/{pk}/", timeout=REQUEST_TIMEOUT_S).json()
            if body["status"] not in ("queued", "running"):
                pending.discard(pk)
        time.sleep(0.2)
    if pending:
        raise SystemExit(f"warm-up runs {sorted(pending)} did not finish")


def run_once(
    workers: int, users: int, database: str, ramp_s: float, timeout_s: float, server: str
) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="shapeshop-load-"))
    port = free_port()
    env = {
        **os.environ,
        "MEDIA_ROOT": str(workdir / "media"),
        "DEBUG": "true",
        "Q_WORKERS": str(workers),
        "Q_CLUSTER_NAME": f"bench-load-{port}",
        "TOKEN_RATE": "100000/minute",
        "EXPERIMENT_CREATE_RATE": "100000/minute",
        "MAX_ACTIVE_EXPERIMENTS": "10",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "LOG_LEVEL": "WARNING",
        # runserver starts a thread per request: persistent connections would pile up to
        # one per request thread and exhaust PostgreSQL's max_connections. gunicorn's
        # threads are a fixed few, and each keeps its connection.
        "DB_CONN_MAX_AGE": "0" if server == "runserver" else "60",
        "BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "2",
        "WEB_THREADS": "4",
    }
    dbname = f"shapeshop_load_{port}"
    if database == "postgres":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", dbname], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["CACHE_URL"] = "redis://127.0.0.1:6379/1"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'db.sqlite3'}"
        env.pop("REDIS_URL", None)
        env.pop("CACHE_URL", None)
    manage(env, "migrate", "--no-input", "-v0")
    web_log = workdir / "web.log"
    if server == "gunicorn":
        # gunicorn reads its settings from gunicorn.conf.py and the environment.
        web = start_web([str(Path(PYTHON).parent / "gunicorn")], env, web_log)
    else:
        web = start_web(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], env, web_log
        )
    base = f"http://127.0.0.1:{port}"
    results = [UserResult(user=n) for n in range(users)]
    cluster: Worker | None = None
    try:
        cluster = start_worker(env, log=workdir / "qcluster.log")
        wait_until_serving(
            f"{base}/",
            processes=[web, cluster.process],
            output=lambda: web_log.read_text(errors="replace"),
        )
        warm_up(env, base, workers)
        memory = MemoryWatch(cluster.process.pid)
        memory.start()
        started = time.monotonic()
        deadline = started + timeout_s
        threads = []
        for number, result in enumerate(results):
            thread = threading.Thread(
                target=simulate_user, args=(base, number, result, deadline), daemon=True
            )
            thread.start()
            threads.append(thread)
            time.sleep(ramp_s / max(1, users))
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT_S)
        wall = time.monotonic() - started
        memory.stop.set()
        memory.join()
        state = database_check(env)
    finally:
        stop(web)
        if cluster is not None:
            stop_worker(cluster)
        if database == "postgres":
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", dbname], check=False)

    done = [r for r in results if r.ok]
    if len(done) == users:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept {workdir} (database, media, web.log, qcluster.log) for a look", flush=True)
    latencies = sorted(r.done_at - r.posted_at for r in done)
    span = (max(r.done_at for r in done) - min(r.posted_at for r in done)) if done else 0.0
    errors = [r.error for r in results if not r.ok]
    return {
        "workers": workers,
        "users": users,
        "done": len(done),
        "errors": errors,
        "wall_s": wall,
        "throughput_per_min": 60 * len(done) / span if span else 0.0,
        "p50_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": latencies[max(0, round(0.95 * len(latencies)) - 1)] if latencies else float("nan"),
        "peak_worker_rss_mb": memory.peak_one / 2**20,
        "peak_cluster_rss_mb": memory.peak_total / 2**20,
        "database": state,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--server", choices=["runserver", "gunicorn"], default="runserver")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds to start all users")
    parser.add_argument("--timeout", type=float, default=600, help="per worker count, s")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    rows = []
    for workers in args.workers:
        print(
            f"{workers} worker(s), {args.users} users, {args.database}, {args.server} ...",
            flush=True,
        )
        row = run_once(workers, args.users, args.database, args.ramp, args.timeout, args.server)
        rows.append(row)
        print(json.dumps(row, indent=1), flush=True)

    print(
        f"\n{args.users} users, {CONFIG['model']}, {len(CONFIG['classes'])} classes, "
        f"{CONFIG['epochs']} epochs, {args.database}, {args.server}"
    )
    print(
        "| workers | done | errors | experiments/min | p50 s | p95 s | peak RSS one worker MB "
        "| peak RSS cluster MB | stuck | max attempts |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for row in rows:
        statuses = row["database"]["statuses"]
        stuck = statuses.get("queued", 0) + statuses.get("running", 0)
        failed |= bool(row["errors"]) or stuck > 0 or row["done"] != row["users"]
        print(
            f"| {row['workers']} | {row['done']}/{row['users']} | {len(row['errors'])} "
            f"| {row['throughput_per_min']:.1f} | {row['p50_s']:.1f} | {row['p95_s']:.1f} "
            f"| {row['peak_worker_rss_mb']:.0f} | {row['peak_cluster_rss_mb']:.0f} "
            f"| {stuck} | {row['database']['max_attempts']} |"
        )
        for error in row["errors"][:5]:
            print(f"  {error}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
