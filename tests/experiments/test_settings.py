"""Settings: production mode passes the deploy check, start-up stays free of TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
# Set by other tests in this process (the browser tests) and refused by the deploy check.
TEST_ONLY_VARIABLES = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


def clean_environment(**env: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    return {**inherited, "DJANGO_SETTINGS_MODULE": "shapeshop_site.settings", **env}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_the_deploy_check() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-" + "x7Qp2Lm9Zr4Tv8Ny3Bw6" * 2,
        ALLOWED_HOSTS="shapeshop.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_mode_fails_the_deploy_check() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key() -> None:
    result = run_manage("check", DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("MAX_EPOCHS", "many", "MAX_EPOCHS must be a whole number"),
        ("MAX_ACTIVE_EXPERIMENTS", "0", "MAX_ACTIVE_EXPERIMENTS must be at least 1"),
    ],
)
def test_a_bad_environment_value_fails_loudly(name: str, value: str, message: str) -> None:
    result = run_manage("check", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_secure_settings_can_be_overridden_from_the_environment() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)"
    )
    result = run_python(
        code,
        DEBUG="false",
        SECRET_KEY="s" * 60,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="60",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "60", "True"]


def test_django_start_up_imports_no_tensorflow() -> None:
    # Everything a web process or the cluster's parent loads: settings, apps, URLs, admin.
    code = (
        "import sys, django; django.setup(); "
        "from django.urls import resolve; resolve('/api/v1/experiments/'); "
        "import shapeshop_site.urls, experiments.tasks, experiments.admin; "
        "from django.contrib import admin; admin.autodiscover(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'tensorflow', 'keras'}))"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_redis_url_selects_the_redis_broker() -> None:
    code = (
        "import django; django.setup(); from django_q.brokers import get_broker; "
        "print(type(get_broker()).__name__)"
    )
    with_redis = run_python(code, REDIS_URL="redis://127.0.0.1:6379/0")
    assert with_redis.stdout.strip() == "Redis", with_redis.stderr
    environment = {k: v for k, v in clean_environment().items() if k != "REDIS_URL"}
    without = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert without.stdout.strip() == "ORM", without.stderr


@pytest.mark.django_db
def test_no_migration_is_pending() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
