"""The production web server: gunicorn with the project's gunicorn.conf.py, in production
mode, as a real process on loopback."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.experiments.test_settings import ROOT, clean_environment
from tests.support.servers import wait_until_serving
from tests.support.workers import descendants

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
HTTPS = {"X-Forwarded-Proto": "https"}  # as the HTTPS proxy in front of it says


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_environment(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    settings = {
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-" + "Hq8Vt3Wm5Zx7Rk2Lp9Nc" * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "2",
        "WEB_THREADS": "2",
    }
    return clean_environment(**{**settings, **extra})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = production_environment(tmp_path, port)
    migrate = [sys.executable, "manage.py", "migrate", "--no-input", "-v0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [GUNICORN], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(
            f"{base}/",
            headers=HTTPS,
            processes=[process],
            output=lambda: log.read_text(errors="replace"),
        )
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_gunicorn_serves_the_site_in_production_mode_without_tensorflow(
    server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, process = server
    page = requests.get(f"{base}/accounts/login/", headers=HTTPS, timeout=10)
    assert page.status_code == 200 and "<title>Log in" in page.text
    # Plain HTTP is sent to HTTPS; the proxy's header is what tells them apart.
    plain = requests.get(f"{base}/accounts/login/", allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert (
        plain.headers["Location"] == f"https://127.0.0.1:{base.rsplit(':', 1)[1]}/accounts/login/"
    )
    # The API answers, and an unknown page is a plain 404, never a debug page.
    token = requests.post(
        f"{base}/api/v1/auth/token/",
        json={"username": "nobody", "password": "wrong-password-123"},
        headers=HTTPS,
        timeout=10,
    )
    assert token.status_code == 400 and "non_field_errors" in token.json()
    missing = requests.get(f"{base}/no-such-page/", headers=HTTPS, timeout=10)
    assert missing.status_code == 404 and "Traceback" not in missing.text
    assert "DEBUG = True" not in missing.text

    # Two worker processes, as WEB_WORKERS says, and none has loaded TensorFlow.
    workers = descendants(process.pid)
    assert len(workers) == 2
    for pid in workers:
        assert "tensorflow" not in Path(f"/proc/{pid}/maps").read_text()

    # SIGTERM stops it gracefully (what a service manager sends).
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_a_bad_worker_count_stops_it_with_a_clear_message(tmp_path: Path) -> None:
    env = production_environment(tmp_path, free_port(), WEB_WORKERS="many")
    result = subprocess.run(
        [GUNICORN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "WEB_WORKERS must be a whole number, not 'many'" in result.stdout + result.stderr
