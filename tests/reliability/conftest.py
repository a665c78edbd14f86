"""Fixtures of the reliability tests: several real worker processes with chosen settings."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Worker, _stop, _wait_until_ready, database_url

StartWorkers = Callable[..., Worker]


@pytest.fixture
def start_cluster(
    transactional_db: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StartWorkers]:
    """Starts ``manage.py qcluster`` processes on the test database and one shared queue.

    ``start_cluster(workers=2, env={"HEARTBEAT_TIMEOUT": "4"})`` starts one more cluster
    process with that many worker processes and those extra settings; every cluster started
    in a test takes tasks from the same queue. All are stopped at the end of the test.
    """
    from django.db import connection
    from django_q.conf import Conf

    name = f"shapeshop-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "PREFIX", name)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    started: list[subprocess.Popen[bytes]] = []

    def start(*, workers: int = 1, env: dict[str, str] | None = None) -> Worker:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "Q_CLUSTER_NAME": name,
            "Q_SYNC": "false",
            "Q_WORKERS": str(workers),
            "DJANGO_SETTINGS_MODULE": "shapeshop_site.settings",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        log = tmp_path / f"qcluster-{len(started)}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=environment,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        worker = Worker(process, log)
        _wait_until_ready(worker)
        return worker

    try:
        yield start
    finally:
        for process in started:
            _stop(process)
            # Workers killed by a test may leave their group behind: end it too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc; Linux only)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process, 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def wait_for(
    condition: Callable[[], bool], what: str, timeout: float, log: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; logs:\n{log()}")
