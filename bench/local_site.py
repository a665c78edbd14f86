"""What the benchmarks that drive a real site share: starting it on loopback and stopping it.

The task worker is started, waited for and stopped by ``tests.support.workers``, and the web
server waited for by ``tests.support.servers``: the same code the tests use. A benchmark runs
as ``.venv/bin/python bench/<name>.py``, with only ``bench/`` on its import path, so this
module puts the repository root there first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.servers import wait_until_serving  # noqa: E402
from tests.support.workers import (  # noqa: E402
    Worker,
    descendants,
    rss_bytes,
    start_worker,
    stop_worker,
)

__all__ = [
    "PYTHON",
    "ROOT",
    "Worker",
    "descendants",
    "free_port",
    "manage",
    "rss_bytes",
    "start_web",
    "start_worker",
    "stop",
    "stop_worker",
    "wait_until_serving",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def start_web(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Starts a web server in a process group of its own, its output appended to ``log``."""
    with log.open("ab") as handle:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], grace_s: float = 20) -> None:
    """SIGTERM to a web server, SIGKILL to its whole group if it is still there after
    ``grace_s``."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
