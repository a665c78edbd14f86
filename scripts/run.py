"""Starts the web server and a task worker together; Ctrl-C stops both.

Used by ``make run`` after the dependencies are installed and the database is migrated.
HOST (default 127.0.0.1) and PORT (default 8000) choose where the site listens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_S = 15.0


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    python = sys.executable
    shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    url = f"http://{shown_host}:{port}/"
    environment = {**os.environ}
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Ctrl-C and SIGTERM reach this script, which then stops both children in order, even
    # where the shell started it with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    web = start([python, "manage.py", "runserver", f"{host}:{port}"], environment)
    worker = start([python, "manage.py", "qcluster"], environment)
    print(
        f"\nShapeShop is starting at {url}\n"
        f"  First user: sign up at {url}accounts/signup/\n"
        f"  Admin (staff): {python} manage.py createsuperuser, then {url}admin/\n"
        "  Press Ctrl-C to stop the web server and the worker.\n",
        flush=True,
    )
    try:
        while True:
            for name, process in (("web server", web), ("task worker", worker)):
                if process.poll() is not None:
                    print(f"The {name} stopped (exit code {process.returncode}).", flush=True)
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping the web server and the worker ...", flush=True)
        return 0
    finally:
        stop(web=web, worker=worker)


def start(command: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
    # Its own process group: a terminal's Ctrl-C goes to this script only.
    return subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop(*, web: subprocess.Popen[bytes], worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole web server group (its autoreloader has a child) and to the
    worker's parent only (it stops its own workers; signalling them too makes it wait)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if web.poll() is None:
        _signal_group(web, signal.SIGTERM)
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline and (web.poll() is None or worker.poll() is None):
        time.sleep(0.1)
    for process in (web, worker):
        _signal_group(process, signal.SIGKILL)  # leftovers of either group, if any
        process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


if __name__ == "__main__":
    sys.exit(main())
