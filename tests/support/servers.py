"""Waiting for a web server that runs in a process of its own to answer."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterable, Mapping

import requests

# A busy machine can take a long while to start a server: fail late, but clearly.
DEFAULT_DEADLINE_S = 120.0


class ServerNotServing(RuntimeError):
    """The server did not answer before the deadline, or one of its processes exited."""


def wait_until_serving(
    url: str,
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
    processes: Iterable[subprocess.Popen[bytes] | subprocess.Popen[str]] = (),
    output: Callable[[], str] | None = None,
    headers: Mapping[str, str] | None = None,
    request_timeout_s: float = 5.0,
    poll_s: float = 0.2,
) -> requests.Response:
    """Asks ``url`` again and again until the server answers below 500; returns that answer.

    A refused connection, a timeout (a server that accepts but answers slowly, as one that is
    still starting on a busy machine does) and a 5xx answer all mean "not yet". Stops early
    when one of ``processes`` (the server's, and any other it needs) exits, and at
    ``deadline_s``; either way it raises ``ServerNotServing`` with the last thing the server
    did and, when ``output`` is given, what the processes wrote.
    """
    watched = list(processes)
    session = requests.Session()
    session.trust_env = False  # loopback: no proxy from the environment
    deadline = time.monotonic() + deadline_s
    last = "no answer yet"
    try:
        while True:
            try:
                response = session.get(url, headers=dict(headers or {}), timeout=request_timeout_s)
            except (requests.ConnectionError, requests.Timeout) as error:
                last = f"{type(error).__name__}: {error}"
            else:
                if response.status_code < 500:
                    return response
                last = f"HTTP {response.status_code}: {response.text[:300]}"
            exited = [p for p in watched if p.poll() is not None]
            if exited:
                codes = ", ".join(f"pid {p.pid} exit code {p.returncode}" for p in exited)
                raise ServerNotServing(_report(f"{url}: a process stopped ({codes})", last, output))
            if time.monotonic() >= deadline:
                raise ServerNotServing(
                    _report(f"{url} did not answer within {deadline_s:g} s", last, output)
                )
            time.sleep(poll_s)
    finally:
        session.close()


def _report(what: str, last: str, output: Callable[[], str] | None) -> str:
    message = f"{what}; last attempt: {last}"
    if output is not None:
        message += f"\n--- output ---\n{output()}"
    return message
