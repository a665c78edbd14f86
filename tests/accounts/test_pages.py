"""The site's links to the API: every page's footer names the API docs, and the browsable
API (an endpoint opened in a browser) lets a signed-out visitor sign in and come back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HTML = "text/html,application/xhtml+xml"


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_every_page_links_to_the_api_docs(client: Client, url: str) -> None:
    page = client.get(url).content.decode()
    assert 'href="/api/v1/docs/"' in page


def test_the_builder_links_to_the_api_docs(alice_client: Client) -> None:
    assert 'href="/api/v1/docs/"' in alice_client.get("/builder/").content.decode()


def test_a_signed_out_browsable_api_page_links_to_sign_in_and_back(alice: Any) -> None:
    client = Client()
    response = client.get("/api/v1/experiments/?page=1", HTTP_ACCEPT=HTML)
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    login = "/accounts/login/?next=/api/v1/experiments/%3Fpage%3D1"
    assert f'href="{login}"' in page
    assert 'href="/api/v1/docs/"' in page

    signed_in = client.post(login, {"username": "alice", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/api/v1/experiments/?page=1"
    page = client.get("/api/v1/experiments/", HTTP_ACCEPT=HTML).content.decode()
    assert "alice" in page and "/accounts/login/" not in page
