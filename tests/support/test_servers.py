"""wait_until_serving against a tiny server on loopback that misbehaves as a starting one does."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.servers import ServerNotServing, wait_until_serving

HOLD = "hold"  # read the request, never answer it, wait for the client to give up


class ScriptedServer:
    """Answers the n-th connection as ``script[n]`` says (HOLD or an HTTP status), every
    later one with 200; ``handled`` records what each connection got."""

    def __init__(self, script: list[str | int], *, then: int = 200) -> None:
        self.script = list(script)
        self.then = then
        self.handled: list[str | int] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self.listener.close()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(30)
                connection.recv(65536)
                action = self.script.pop(0) if self.script else self.then
                if action == HOLD:
                    self.handled.append(self._hold(connection))
                else:
                    body = b"starting" if int(action) >= 500 else b"ok"
                    connection.sendall(
                        f"HTTP/1.1 {action} X\r\nContent-Length: {len(body)}\r\n"
                        "Connection: close\r\n\r\n".encode()
                        + body
                    )
                    self.handled.append(int(action))

    @staticmethod
    def _hold(connection: socket.socket) -> str:
        try:
            while connection.recv(65536):
                pass
        except TimeoutError:
            return "held past the client"
        return "held until the client gave up"


@pytest.fixture
def nothing_listening() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_a_held_request_is_a_timeout_and_not_a_connection_error() -> None:
    # Why catching ConnectionError alone is not enough: a server that has accepted the
    # connection but is too busy to answer yet raises ReadTimeout.
    with ScriptedServer([HOLD]) as server, pytest.raises(requests.ReadTimeout) as raised:
        requests.get(server.url, timeout=0.3)
    assert not isinstance(raised.value, requests.ConnectionError)


def test_it_waits_through_a_slow_first_answer() -> None:
    with ScriptedServer([HOLD]) as server:
        response = wait_until_serving(server.url, request_timeout_s=0.3, poll_s=0.05)
    assert response.status_code == 200 and response.text == "ok"
    assert server.handled == ["held until the client gave up", 200]


def test_it_waits_through_server_errors_while_the_server_starts() -> None:
    with ScriptedServer([503, 502]) as server:
        response = wait_until_serving(server.url, poll_s=0.05)
    assert response.status_code == 200
    assert server.handled == [503, 502, 200]


def test_an_answer_below_500_is_serving() -> None:
    with ScriptedServer([], then=404) as server:
        assert wait_until_serving(server.url).status_code == 404
    assert server.handled == [404]


def test_it_stops_as_soon_as_the_server_process_exits_with_its_output(
    nothing_listening: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-c", "print('port already taken'); raise SystemExit(3)"],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    process.wait(timeout=60)
    with pytest.raises(ServerNotServing) as raised:
        wait_until_serving(nothing_listening, processes=[process], output=log.read_text)
    message = str(raised.value)
    assert f"pid {process.pid} exit code 3" in message
    assert "ConnectionError" in message and "port already taken" in message


def test_at_the_deadline_it_says_what_the_server_last_did() -> None:
    with ScriptedServer([], then=503) as server, pytest.raises(ServerNotServing) as raised:
        wait_until_serving(server.url, deadline_s=0.3, poll_s=0.05)
    message = str(raised.value)
    assert f"{server.url} did not answer within 0.3 s" in message
    assert "HTTP 503: starting" in message
    assert set(server.handled) == {503}
