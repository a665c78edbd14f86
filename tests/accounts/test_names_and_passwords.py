"""Usernames and passwords: the weak ones and the look-alikes are refused, on the sign-up page,
the password page and the admin alike, and each error stands under the field it is about."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CYRILLIC_A = "\u0430"


def sign_up(client: Client, username: str, password: str) -> Any:
    return client.post(
        "/accounts/signup/", {"username": username, "password1": password, "password2": password}
    )


def users() -> list[str]:
    return sorted(get_user_model().objects.values_list("username", flat=True))


def error_follows(html: str, field_id: str, next_field_id: str, words: str) -> bool:
    """Whether an error containing ``words`` stands between the field and the next one."""
    start = html.index(f'id="{field_id}"')
    end = html.index(f'id="{next_field_id}"')
    errors = re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', html[start:end], re.DOTALL)
    return any(words in error for error in errors)


@pytest.mark.parametrize(
    ("password", "words"),
    [
        (" " * 12, "spaces only"),
        ("a" * 12, "one piece repeated"),
        ("passwordpassword", "one piece repeated"),
        ("abababababab", "one piece repeated"),
        ("aaaaaaaaaaab", "at least 5 different characters"),
        ("carolinesmith-kept-secret", "contain your username"),
        ("Secret-Of-CAROLINESMITH", "contain your username"),
        # Shares all its letters with the username, rearranged: a similarity of 0.65,
        # which Django's default limit of 0.7 lets through.
        ("smith-caroline-went-home-92", "too similar to the username"),
    ],
    ids=[
        "spaces",
        "one-letter",
        "passwordpassword",
        "two-letters",
        "few-letters",
        "contains-username",
        "contains-username-in-capitals",
        "username-rearranged",
    ],
)
def test_weak_passwords_are_refused_under_the_password_field(password: str, words: str) -> None:
    response = sign_up(Client(), "carolinesmith", password)
    assert response.status_code == 200
    html = response.content.decode()
    assert error_follows(html, "id_password1", "id_password2", words), html
    assert response.context["form"].errors["password1"]
    assert "password2" not in response.context["form"].errors
    assert users() == []


def test_a_short_password_s_error_stands_under_the_password_field() -> None:
    response = sign_up(Client(), "carol", "qz7-vq-plk3")
    html = response.content.decode()
    assert error_follows(html, "id_password1", "id_password2", "at least 12 characters")
    assert not error_follows(html, "id_password2", "id_password2_helptext", "12 characters")


def test_a_good_password_is_accepted() -> None:
    assert sign_up(Client(), "carol", PASSWORD).status_code == 302
    assert users() == ["carol"]


@pytest.mark.parametrize(
    ("username", "words"),
    [
        (f"{CYRILLIC_A}lice", "letters a to z"),
        ("alice\u200b", "printable characters only"),
        ("\u202eecila", "printable characters only"),
        ("José", "letters a to z"),
        ("bob smith", "letters a to z"),
    ],
    ids=["cyrillic-a", "zero-width-space", "right-to-left-override", "accent", "space"],
)
def test_look_alike_and_invisible_usernames_are_refused(username: str, words: str) -> None:
    response = sign_up(Client(), username, PASSWORD)
    assert response.status_code == 200
    assert error_follows(response.content.decode(), "id_username", "id_password1", words)
    assert users() == []


def test_a_full_width_username_is_normalised_and_then_taken(alice: Any) -> None:
    full_width_alice = "".join(chr(ord(char) + 0xFEE0) for char in "alice")
    response = sign_up(Client(), full_width_alice, PASSWORD)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert sign_up(Client(), "ALICE", PASSWORD).status_code == 200
    assert users() == ["alice"]


def test_the_password_page_puts_the_new_password_s_errors_under_it(
    alice: Any, alice_client: Client
) -> None:
    for weak, words in [("aliceandsomething", "contain your username"), ("short-1", "12")]:
        response = alice_client.post(
            "/accounts/password/",
            {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert error_follows(html, "id_new_password1", "id_new_password2", words)
        assert "new_password2" not in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.fixture
def admin_client(django_user_model: Any) -> Client:
    admin = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    return client


def admin_add_user(client: Client, username: str, password: str) -> Any:
    return client.post(
        "/admin/auth/user/add/",
        {
            "username": username,
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )


def test_the_admin_refuses_the_same_usernames_and_passwords(admin_client: Client) -> None:
    response = admin_add_user(admin_client, f"{CYRILLIC_A}lice", PASSWORD)
    assert response.status_code == 200
    assert "letters a to z" in response.content.decode()
    response = admin_add_user(admin_client, "dave", "passwordpassword")
    assert response.status_code == 200
    assert "one piece repeated" in response.content.decode()
    assert users() == ["root"]
    assert admin_add_user(admin_client, "dave", PASSWORD).status_code == 302
    assert users() == ["dave", "root"]


def test_the_admin_refuses_renaming_a_user_to_a_look_alike(
    admin_client: Client, alice: Any
) -> None:
    page = admin_client.get(f"/admin/auth/user/{alice.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "username": f"bob{CYRILLIC_A}",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "groups": [],
            "user_permissions": [],
        }
    )
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin_client.post(f"/admin/auth/user/{alice.pk}/change/", data)
    assert response.status_code == 200
    assert "letters a to z" in response.content.decode()
    alice.refresh_from_db()
    assert alice.username == "alice"
