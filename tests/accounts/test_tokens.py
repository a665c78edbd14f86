"""API tokens: a new password revokes the old token, and the user can revoke it (API, page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-long-secret-93"


def get_token(password: str = PASSWORD) -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def assert_refused(key: str) -> None:
    response = with_token(key).get("/api/v1/experiments/")
    assert response.status_code in (401, 403)  # 403 while sessions come first in the API
    assert response.json()["detail"] == "Invalid token."


def test_a_token_works_until_the_password_changes_on_the_password_page(
    alice: Any, alice_client: Client
) -> None:
    old = get_token()
    assert with_token(old).get("/api/v1/experiments/").status_code == 200
    response = alice_client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=alice).exists()
    assert_refused(old)
    new = get_token(NEW_PASSWORD)
    assert new != old
    assert with_token(new).get("/api/v1/experiments/").status_code == 200


def test_a_password_set_in_the_admin_revokes_the_token(alice: Any, django_user_model: Any) -> None:
    old = get_token()
    admin = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    response = client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert_refused(old)


def test_signing_in_again_keeps_the_token(alice: Any) -> None:
    """Only a new password revokes the token, not a sign-in (which may upgrade the hash)."""
    key = get_token()
    assert (
        Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )
    assert get_token() == key
    assert with_token(key).get("/api/v1/experiments/").status_code == 200


def test_delete_revokes_the_token_and_post_issues_a_new_one(alice: Any) -> None:
    old = get_token()
    response = with_token(old).delete("/api/v1/auth/token/")
    assert response.status_code == 204
    assert not Token.objects.filter(user=alice).exists()
    assert_refused(old)
    assert get_token() != old


def test_delete_by_session_needs_the_csrf_token_and_a_sign_in(alice: Any) -> None:
    key = get_token()
    assert APIClient().delete("/api/v1/auth/token/").status_code in (401, 403)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.delete("/api/v1/auth/token/").status_code == 403
    assert Token.objects.filter(user=alice, key=key).exists()


def test_the_password_page_offers_to_revoke_the_token(alice: Any, alice_client: Client) -> None:
    page = alice_client.get("/accounts/password/").content.decode()
    assert "You have no API token" in page
    old = get_token()
    page = alice_client.get("/accounts/password/").content.decode()
    assert "You have an API token" in page and "Revoke API token" in page
    assert 'action="/accounts/token/revoke/"' in page

    response = alice_client.post("/accounts/token/revoke/", follow=True)
    assert response.redirect_chain == [("/accounts/password/", 302)]
    assert "Your API token is revoked" in response.content.decode()
    assert not Token.objects.filter(user=alice).exists()
    assert_refused(old)


def test_the_revoke_button_needs_a_post_with_the_csrf_token(alice: Any) -> None:
    key = get_token()
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/accounts/token/revoke/").status_code == 405
    assert client.post("/accounts/token/revoke/").status_code == 403
    assert Client().post("/accounts/token/revoke/").status_code == 302  # to the sign-in page
    assert Token.objects.filter(user=alice, key=key).exists()
