"""A django-q cluster (``manage.py qcluster``) as a process of its own: start, wait, stop.

A cluster forks its worker processes, and a process that has run any TensorFlow op forks
children that hang as soon as they use TensorFlow. A test run or a benchmark that trains in
its own process must therefore never fork a cluster from itself: it starts one here, as a
fresh interpreter, with the environment it is given.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Generous: a busy machine can take long to start Django and django-q.
READY_DEADLINE_S = 120.0
WAIT_DEADLINE_S = 120.0
STOP_GRACE_S = 15.0
# What django-q logs once the cluster's sentinel has started its workers.
READY = re.compile(r"Q Cluster \S+( \[[^\]]*\])? running\.")


class WorkerNotReady(RuntimeError):
    """The cluster exited, or did not say it was running, before the deadline."""


@dataclass
class Worker:
    """A running ``manage.py qcluster`` process and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_worker(
    env: Mapping[str, str],
    *,
    log: Path,
    ready_deadline_s: float = READY_DEADLINE_S,
    python: str = sys.executable,
) -> Worker:
    """Starts ``manage.py qcluster`` with ``env`` as its whole environment (plus quiet
    TensorFlow and unbuffered output unless ``env`` says otherwise), its output to ``log``,
    in a process group of its own; returns once it is running. If it exits or stays silent
    until the deadline, stops it and raises ``WorkerNotReady`` with its output."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "shapeshop_site.settings",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [python, "manage.py", "qcluster"],
            cwd=ROOT,
            env=environment,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, log)
    deadline = time.monotonic() + ready_deadline_s
    while not READY.search(worker.output()):
        if process.poll() is not None:
            stop_worker(worker)
            raise WorkerNotReady(
                f"qcluster exited (code {process.returncode}) before it ran:\n{worker.output()}"
            )
        if time.monotonic() >= deadline:
            stop_worker(worker)
            raise WorkerNotReady(
                f"qcluster did not start within {ready_deadline_s:g} s:\n{worker.output()}"
            )
        time.sleep(0.1)
    return worker


def stop_worker(worker: Worker, *, grace_s: float = STOP_GRACE_S) -> str:
    """Stops the cluster: SIGTERM to its parent, which stops its own workers (signalling them
    too leaves it waiting), SIGKILL to its whole group after ``grace_s``, and SIGKILL to
    whatever of the group is left (a worker a test killed may leave one behind). Returns what
    it wrote."""
    process = worker.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.wait(timeout=30)
    _kill_group(process)
    return worker.output()


def wait_until(
    condition: Callable[[], bool],
    what: str,
    *,
    workers: Sequence[Worker] = (),
    deadline_s: float = WAIT_DEADLINE_S,
    poll_s: float = 0.1,
) -> None:
    """Polls ``condition`` until it holds; fails (an AssertionError, with the workers'
    output) at ``deadline_s`` or as soon as one of ``workers`` has exited."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        exited = [w for w in workers if w.process.poll() is not None]
        if exited or time.monotonic() >= deadline:
            why = (
                f"a worker exited (code {exited[0].process.returncode})"
                if exited
                else f"timed out after {deadline_s:g} s"
            )
            logs = "\n".join(f"--- worker {w.process.pid} ---\n{w.output()}" for w in workers)
            raise AssertionError(f"{why} waiting for {what}\n{logs}")
        time.sleep(poll_s)


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
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
