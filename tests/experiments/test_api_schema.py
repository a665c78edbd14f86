"""The OpenAPI schema: valid with no warning, covering every route of the API, with docs
served from our own static files, and a schemathesis run that finds no server error and no
response contradicting the schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from django_q.conf import Conf
from rest_framework.authtoken.models import Token

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_SCHEMA = {"schema/", "docs/"}


def test_the_schema_validates_without_a_single_warning(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "schema.yml"),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    schema = yaml.safe_load((tmp_path / "schema.yml").read_text())
    assert schema["openapi"].startswith("3.")


def _api_routes() -> list[str]:
    """Every route under /api/v1/, as the schema writes it (``{id}`` for ``<int:pk>``)."""
    import re

    api = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    )
    routes: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route not in NOT_IN_SCHEMA:
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                # The schema calls a primary key "id", as the objects' JSON does.
                routes.append("/api/v1/" + path.replace("{pk}", "{id}"))

    walk(api.url_patterns, "")
    return routes


@pytest.mark.django_db
def test_every_api_route_is_in_the_schema(alice_api: Any) -> None:
    schema = yaml.safe_load(alice_api.get("/api/v1/schema/").content)
    missing = [route for route in _api_routes() if route not in schema["paths"]]
    assert not missing
    for path in ("/api/v1/experiments/{id}/revisualize/", "/api/v1/studies/", "/api/v1/events/"):
        assert path in schema["paths"]


@pytest.mark.django_db
def test_the_docs_work_offline_from_our_own_files(alice_api: Any) -> None:
    import re

    page = alice_api.get("/api/v1/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    for source in sources:
        assert source.startswith("/"), f"{source} is not served by us"
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), f"{source} is missing"
    assert "cdn" not in page.lower()
    # Swagger UI's start-up script is a file of its own too (no inline script for the CSP).
    script = alice_api.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server: Any, django_user_model: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # New runs are queued and never trained here: creating them stays cheap.
    monkeypatch.setattr(Conf, "SYNC", False)
    user = django_user_model.objects.create_user("fuzz", is_staff=True)
    token = Token.objects.create(user=user)
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--header",
            f"Authorization: Token {token.key}",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--max-examples",
            "5",
            "--phases",
            "examples,fuzzing",
            "--workers",
            "1",
            "--generation-deterministic",
            "--no-color",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = tmp_path / "schemathesis.txt"
    report.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        failures = [
            line
            for line in result.stdout.splitlines()
            if line.startswith("____") or line.lstrip().startswith(("- ST", "["))
        ]
        pytest.fail(f"{report}:\n" + "\n".join(failures))
