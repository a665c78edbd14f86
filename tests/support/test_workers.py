"""The worker-launch helper's handling of processes, with a stand-in for ``manage.py qcluster``
(a shell script given as the interpreter) so that no Django or TensorFlow is involved; the
real cluster is started through the same helper by the cluster tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.workers import (
    Worker,
    WorkerNotReady,
    start_worker,
    stop_worker,
    wait_until,
)


def stand_in(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-python"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def gone(pid: int) -> bool:
    """Ended: no such process, or only a zombie waiting for whoever adopted it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def test_it_returns_once_the_cluster_runs_and_sigterm_stops_it(tmp_path: Path) -> None:
    python = stand_in(
        tmp_path,
        'echo "args: $*"; echo "Q Cluster test-one [shapeshop-a1] running."; exec sleep 600',
    )
    worker = start_worker({"PATH": os.environ["PATH"]}, log=tmp_path / "q.log", python=python)
    assert worker.process.poll() is None
    output = stop_worker(worker)
    assert worker.process.returncode == -signal.SIGTERM
    assert "args: manage.py qcluster" in output and "running." in output


def test_a_cluster_that_exits_at_start_up_is_reported_with_its_output(tmp_path: Path) -> None:
    python = stand_in(tmp_path, 'echo "ImproperlyConfigured: no broker"; exit 4')
    with pytest.raises(WorkerNotReady) as raised:
        start_worker({"PATH": os.environ["PATH"]}, log=tmp_path / "q.log", python=python)
    assert "exited (code 4)" in str(raised.value)
    assert "ImproperlyConfigured: no broker" in str(raised.value)


def test_a_silent_cluster_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    python = stand_in(tmp_path, f'echo $$ > "{pid_file}"; echo "importing"; exec sleep 600')
    with pytest.raises(WorkerNotReady) as raised:
        start_worker(
            {"PATH": os.environ["PATH"]},
            log=tmp_path / "q.log",
            python=python,
            ready_deadline_s=0.5,
        )
    assert "did not start within 0.5 s" in str(raised.value) and "importing" in str(raised.value)
    assert gone(int(pid_file.read_text()))


def test_a_cluster_deaf_to_sigterm_is_killed_with_its_whole_group(tmp_path: Path) -> None:
    child_file = tmp_path / "child"
    python = stand_in(
        tmp_path,
        f"trap '' TERM; sleep 600 & echo $! > \"{child_file}\"; "
        'echo "Q Cluster deaf running."; wait',
    )
    worker = start_worker({"PATH": os.environ["PATH"]}, log=tmp_path / "q.log", python=python)
    child = int(child_file.read_text())
    stop_worker(worker, grace_s=0.5)
    assert worker.process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30  # the adopted child is reaped by someone else
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child)


def test_waiting_stops_as_soon_as_a_worker_exits(tmp_path: Path) -> None:
    log = tmp_path / "q.log"
    log.write_text("Traceback: the broker went away\n")
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(2)"])
    process.wait(timeout=60)
    with pytest.raises(AssertionError) as raised:
        wait_until(lambda: False, "the run", workers=[Worker(process, log)])
    message = str(raised.value)
    assert "a worker exited (code 2) waiting for the run" in message
    assert "the broker went away" in message


def test_waiting_returns_once_the_condition_holds() -> None:
    answers = iter([False, False, True])
    wait_until(lambda: next(answers), "the third answer", poll_s=0.01)
    assert next(answers, "used up") == "used up"
