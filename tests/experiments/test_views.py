"""The HTML pages: landing, accounts and the Model Builder (its script is tested in the browser)."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import escape

from models_zoo import config, shapes
from models_zoo.architectures import list_architectures
from tests.conftest import PASSWORD


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# ---------------------------------------------------------------- landing


@pytest.mark.django_db
def test_landing_is_public_and_shows_every_catalogue_shape(client):
    response = client.get(reverse("landing"))
    assert response.status_code == 200
    html = response.content.decode()
    for shape in shapes.CATALOGUE.values():
        assert f'alt="{shape.name}"' in html
    assert html.count('src="data:image/png;base64,') == len(shapes.CATALOGUE)
    assert reverse("signup") in html
    assert reverse("login") in html


@pytest.mark.django_db
def test_landing_shows_the_example_at_its_real_size(client):
    from django.contrib.staticfiles import finders
    from PIL import Image

    html = client.get(reverse("landing")).content.decode()
    match = re.search(r'<img src="([^"]+landing-example\.png)" width="(\d+)" height="(\d+)"', html)
    assert match is not None
    path = finders.find("img/landing-example.png")
    assert path is not None
    with Image.open(path) as picture:
        assert picture.format == "PNG"
        assert picture.size == (int(match.group(2)), int(match.group(3)))


@pytest.mark.django_db
def test_landing_offers_the_builder_to_a_logged_in_user(alice_client):
    html = alice_client.get(reverse("landing")).content.decode()
    assert reverse("builder") in html
    assert "Log out" in html


# ---------------------------------------------------------------- login required


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["builder", "password_change", "password_change_done"])
def test_private_pages_send_anonymous_visitors_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["landing", "login", "signup"])
def test_public_pages_work_anonymously(client, name):
    assert client.get(reverse(name)).status_code == 200


# ---------------------------------------------------------------- sign up


@pytest.mark.django_db
def test_signup_creates_the_account_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {"username": "carol", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("builder")
    user = get_user_model().objects.get(username="carol")
    assert user.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_signup_rejects_a_password_shorter_than_12_characters(client):
    short = "qz7-vq-plk3"  # 11 characters, not common, not numeric
    assert len(short) == 11
    response = client.post(
        reverse("signup"), {"username": "carol", "password1": short, "password2": short}
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert response.context["form"].errors["password1"]  # under the password, not its copy
    assert not get_user_model().objects.filter(username="carol").exists()
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_signup_accepts_exactly_12_characters(client):
    twelve = "qz7-vq-plk3x"
    response = client.post(
        reverse("signup"), {"username": "carol", "password1": twelve, "password2": twelve}
    )
    assert response.status_code == 302
    assert get_user_model().objects.get(username="carol").check_password(twelve)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "carol", "password1": PASSWORD, "password2": PASSWORD + "x"}, "password2"),
        ({"username": "alice", "password1": PASSWORD, "password2": PASSWORD}, "username"),
        (
            {"username": "carol", "password1": "password1234", "password2": "password1234"},
            "password1",
        ),
        ({"username": "", "password1": PASSWORD, "password2": PASSWORD}, "username"),
    ],
    ids=["mismatch", "taken", "common", "no-username"],
)
def test_signup_shows_the_error_beside_its_field(client, alice, data, field):
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert get_user_model().objects.count() == 1
    assert 'class="field-error"' in response.content.decode()


@pytest.mark.django_db
def test_signup_sends_a_logged_in_user_to_the_builder(alice_client):
    response = alice_client.get(reverse("signup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("builder")


# ---------------------------------------------------------------- log in, log out, password


@pytest.mark.django_db
def test_login_goes_to_the_builder(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("builder")
    assert is_logged_in(client)


@pytest.mark.django_db
def test_login_with_a_wrong_password_says_so(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong-password!"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_logout_needs_post_and_returns_to_the_landing_page(alice_client):
    assert alice_client.get(reverse("logout")).status_code == 405
    assert is_logged_in(alice_client)
    response = alice_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("landing")
    assert not is_logged_in(alice_client)


@pytest.mark.django_db
def test_password_change_works_and_keeps_the_user_logged_in(alice_client, alice):
    new_password = "another-long-secret-42"
    response = alice_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    alice.refresh_from_db()
    assert alice.check_password(new_password)
    assert alice_client.get(reverse("builder")).status_code == 200


@pytest.mark.django_db
def test_password_change_validates_the_new_password(alice_client, alice):
    response = alice_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "short-1", "new_password2": "short-1"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# ---------------------------------------------------------------- the Model Builder


@pytest.mark.django_db
def test_builder_lists_every_catalogue_class(alice_client):
    response = alice_client.get(reverse("builder"))
    assert response.status_code == 200
    assert [t.key for t in response.context["catalogue"]] == list(shapes.CATALOGUE)
    html = response.content.decode()
    for key in shapes.CATALOGUE:
        assert f'data-class="{key}"' in html
        assert f'src="/api/v1/catalogue/{key}/image.png"' in html
    # Every class starts unselected, and the run button waits for two of them.
    assert html.count('aria-pressed="false"') >= len(shapes.CATALOGUE)
    assert re.search(r'<button[^>]*id="run-button"[^>]*disabled', html)


@pytest.mark.django_db
def test_builder_lists_every_architecture_with_mlp_checked(alice_client):
    response = alice_client.get(reverse("builder"))
    registered = list_architectures()
    assert [a.name for a in response.context["architectures"]] == [a.name for a in registered]
    html = response.content.decode()
    for arch in registered:
        assert f'value="{arch.name}"' in html
        assert escape(arch.description) in html
    assert re.search(r'name="model" value="mlp" checked', html)
    assert not re.search(r'name="model" value="cnn" checked', html)


@pytest.mark.django_db
def test_builder_offers_the_paper_hyperparameters_within_bounds(alice_client):
    response = alice_client.get(reverse("builder"))
    html = response.content.decode()
    for key in config.CHOICES["initial_image"]:
        assert f'data-initial="{key}"' in html
    assert re.search(r'data-initial="black" aria-pressed="true"', html)
    for value in config.STEP_SIZE_CHOICES:
        assert f'name="step_size_choice" value="{value}"' in html
    for value in config.EPOCH_CHOICES:
        assert f'name="epochs_choice" value="{value}"' in html
    assert 'name="step_size_choice" value="0.005" checked' in html
    assert 'name="epochs_choice" value="100" checked' in html
    low, high = config.LIMITS["epochs"]
    assert f'min="{low}" max="{min(high, django_settings.MAX_EPOCHS)}"' in html
    for name in ("objective", "max_steps", "optimizer", "copies", "clip", "seed", "pool_gradient"):
        assert f'for="{name}"' in html, f"the {name} field has no label"
    assert '<option value="shared" selected>Every tied maximum</option>' in html

    page_settings = json.loads(
        re.search(
            r'<script id="builder-settings" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    assert page_settings["api"] == "/api/v1/"
    assert page_settings["minClasses"] == config.MIN_CLASSES
    assert page_settings["limits"]["step_size"] == list(config.LIMITS["step_size"])
    assert page_settings["defaults"]["model"] == "mlp"
    assert set(page_settings["architectures"]) == {a.name for a in list_architectures()}
    assert set(page_settings["initialImages"]) == set(config.CHOICES["initial_image"])


@pytest.mark.django_db
def test_the_admin_keeps_its_own_password_pages(client, django_user_model):
    staff = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(staff)
    response = client.get(reverse("admin:password_change"))
    assert response.status_code == 200
    assert "admin/base_site.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_builder_bounds_follow_the_sites_own_limits(alice_client, settings):
    settings.MAX_EPOCHS = 300
    settings.MAX_STEPS = 700
    settings.MAX_CLASSES = 5
    html = alice_client.get(reverse("builder")).content.decode()
    assert (
        'id="epochs_custom" name="epochs_custom" step="1"\n               min="1" max="300"' in html
    )
    assert "A whole number from 1 to 300." in html
    page_settings = json.loads(
        re.search(
            r'<script id="builder-settings" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    assert page_settings["limits"]["epochs"] == [1, 300]
    assert page_settings["limits"]["max_steps"] == [1, 700]
    assert page_settings["maxClasses"] == 5
