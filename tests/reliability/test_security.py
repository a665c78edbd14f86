"""The security review's checks: headers, CSP, sign-in throttling, sessions, CSRF, limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient
from time_machine import TimeMachineFixture

from experiments.models import Experiment
from tests.conftest import PASSWORD, ROOT

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-at-all"
# Lock-out windows are tested on a stopped clock moved by hand, never by waiting them out.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def login_page(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def admin_login(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return client.post(
        "/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def token(client: Client, username: str, password: str, address: str = "10.0.0.1") -> Any:
    body = json.dumps({"username": username, "password": password})
    return client.post(
        "/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR=address
    )


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/api/v1/catalogue/box/image.png"])
def test_every_response_carries_the_security_headers(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_the_api_docs_pages_and_only_they_allow_inline_styles(alice_client: Client) -> None:
    docs = alice_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    policy = docs["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    page = alice_client.get("/builder/")
    assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_the_policy_is_set_by_an_environment_variable_as_the_header_reads(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shapeshop_site.settings import env_csp

    written = (
        "default-src 'self'; img-src 'self' https://images.example.org; upgrade-insecure-requests"
    )
    monkeypatch.setenv("CONTENT_SECURITY_POLICY", written)
    settings.CONTENT_SECURITY_POLICY = env_csp("CONTENT_SECURITY_POLICY", "")
    policy = client.get("/")["Content-Security-Policy"]
    assert set(policy.split("; ")) == set(written.split("; "))
    # Empty: no header at all; a misspelt directive stops the start-up.
    monkeypatch.setenv("CONTENT_SECURITY_POLICY", "")
    settings.CONTENT_SECURITY_POLICY = env_csp("CONTENT_SECURITY_POLICY", "default-src 'self'")
    assert "Content-Security-Policy" not in client.get("/")
    monkeypatch.setenv("CONTENT_SECURITY_POLICY", "default-src 'self'; script-scr 'self'")
    with pytest.raises(ImproperlyConfigured, match="script-scr"):
        env_csp("CONTENT_SECURITY_POLICY", "")


def test_the_templates_need_no_inline_script_or_style() -> None:
    # What the CSP above would block: inline <script> (JSON data blocks are fine), <style>,
    # style="..." attributes and on...= event handler attributes.
    offences = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offences.append(f"{path.name}: {tag}")
        for pattern in (r"<style\b", r"\sstyle\s*=", r"\son[a-z]+\s*=\s*[\"']"):
            offences += [f"{path.name}: {m}" for m in re.findall(pattern, text)]
    assert offences == []


def test_scripts_set_no_style_attribute_the_csp_would_block() -> None:
    offences = []
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        text = path.read_text()
        for pattern in (
            r"setAttribute\(\s*[\"']style",
            r"\.attr\(\s*[\"']style",
            r"style=\\?[\"']",
        ):
            offences += [f"{path.name}: {m}" for m in re.findall(pattern, text)]
    assert offences == []


@pytest.mark.parametrize(
    "endpoint", [login_page, admin_login, token], ids=["page", "admin", "token"]
)
def test_repeated_failed_sign_ins_lock_the_username_for_that_address(
    client: Client, alice: Any, settings: Any, endpoint: Any
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        failed = endpoint(client, "alice", WRONG)
        assert failed.status_code in (200, 400)  # the form again / "unable to log in"
    locked = endpoint(client, "alice", PASSWORD)  # even the right password now
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.LOGIN_LOCKOUT
    if endpoint is token:
        assert locked["Content-Type"] == "application/json"
    # The same user from another address, and another user from this one, are not locked.
    assert endpoint(Client(), "alice", PASSWORD, address="10.0.0.2").status_code in (200, 302)
    assert endpoint(client, "bob", WRONG).status_code in (200, 400)


def test_the_lock_lifts_after_the_lockout_and_a_success_clears_the_count(
    client: Client, alice: Any, settings: Any, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(START, tick=False)
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT = 900
    token(client, "alice", WRONG)
    assert token(client, "alice", PASSWORD).status_code == 200  # clears the count
    token(client, "alice", WRONG)
    assert token(client, "alice", PASSWORD).status_code == 200
    token(client, "alice", WRONG)
    token(client, "alice", WRONG)
    assert token(client, "alice", PASSWORD).status_code == 429
    time_machine.shift(899)
    assert token(client, "alice", PASSWORD).status_code == 429
    time_machine.shift(2)
    assert token(client, "alice", PASSWORD).status_code == 200


def test_guesses_spread_over_many_addresses_hit_the_ceiling_of_the_username(
    client: Client, alice: Any, bob: Any, settings: Any, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(START, tick=False)
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 4
    settings.LOGIN_ACCOUNT_WINDOW = 3600
    # One guess from each of four addresses: no address reaches its own limit of 3.
    for n in range(4):
        assert login_page(Client(), "alice", WRONG, address=f"10.1.0.{n}").status_code == 200
    locked = login_page(Client(), "alice", PASSWORD, address="10.1.0.99")  # the right one
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed sign-ins for this username." in page and "address" not in page
    assert int(locked["Retry-After"]) == settings.LOGIN_ACCOUNT_WINDOW
    refused = token(Client(), "alice", PASSWORD, address="10.1.0.98")
    assert refused.status_code == 429 and "username" in refused.json()["detail"]
    # Other usernames are not affected; the ceiling lifts once the window has passed.
    assert login_page(Client(), "bob", PASSWORD, address="10.1.0.97").status_code == 302
    time_machine.shift(3599)
    assert login_page(Client(), "alice", PASSWORD, address="10.1.0.96").status_code == 429
    time_machine.shift(2)
    assert login_page(Client(), "alice", PASSWORD, address="10.1.0.96").status_code == 302


def test_signing_in_rotates_the_session_and_the_session_expires(alice: Any) -> None:
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    response = login_page(client, "alice", PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie.value != before
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == django_settings.SESSION_COOKIE_AGE == 12 * 3600


def test_signing_out_needs_a_post_and_ends_the_session(alice_client: Client) -> None:
    assert alice_client.get("/accounts/logout/").status_code == 405
    assert alice_client.post("/accounts/logout/").status_code == 302
    assert alice_client.get("/builder/").status_code == 302  # to the sign-in page


def test_forms_and_session_writes_need_the_csrf_token(alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert login_page(client, "alice", PASSWORD).status_code == 403
    client.force_login(alice)
    response = client.post("/api/v1/experiments/", {"classes": ["box", "line"]})
    assert response.status_code == 403
    assert not Experiment.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1A", "too short"),
        ("password1234", "too common"),
        ("837461923847", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused_at_sign_up(client: Client, password: str, message: str) -> None:
    response = client.post(
        "/accounts/signup/", {"username": "carol", "password1": password, "password2": password}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not _user_exists("carol")


def _user_exists(username: str) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).exists()


@pytest.mark.parametrize("url", ["/api/v1/experiments/", "/api/v1/auth/token/"])
def test_an_oversized_body_is_a_clear_413(alice_api: APIClient, url: str) -> None:
    body = json.dumps(
        {"classes": ["box", "line"], "pad": "x" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    )
    response = alice_api.post(url, body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than the 1024 kB" in response.json()["detail"]
    assert not Experiment.objects.exists()


def test_upload_limits_are_set() -> None:
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1_048_576
    assert django_settings.FILE_UPLOAD_HANDLERS == [
        "shapeshop_site.middleware.BoundedUploadHandler"
    ]


def test_media_files_are_never_served_directly(alice_api: APIClient, settings: Any) -> None:
    stored = Path(settings.MEDIA_ROOT) / "weights" / "experiment-1.weights.h5"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"secret")
    assert alice_api.get("/media/weights/experiment-1.weights.h5").status_code == 404


def test_another_users_experiment_is_a_404_and_anonymous_is_refused(
    alice: Any, bob_api: APIClient, client: Client
) -> None:
    from experiments import services

    experiment = services.experiment_create(
        user=alice, config={"classes": ["box", "line"], "epochs": 1, "max_steps": 2}
    )
    assert bob_api.get(f"/api/v1/experiments/{experiment.pk}/").status_code == 404
    assert bob_api.post(f"/api/v1/experiments/{experiment.pk}/cancel/").status_code == 404
    assert client.get(f"/api/v1/experiments/{experiment.pk}/").status_code in (401, 403)


def forwarded_token(client: Client, password: str, forwarded: str) -> Any:
    body = json.dumps({"username": "alice", "password": password})
    return client.post(
        "/api/v1/auth/token/",
        body,
        content_type="application/json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_a_forged_forwarded_for_header_dodges_no_limit(
    client: Client, alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no trusted proxy, a client that writes a new X-Forwarded-For each time is still
    one address to the lock-out and to the token endpoint's rate limit."""
    from rest_framework.throttling import ScopedRateThrottle

    settings.LOGIN_FAILURE_LIMIT = 2
    forwarded_token(client, WRONG, "1.1.1.1")
    forwarded_token(client, WRONG, "2.2.2.2")
    assert forwarded_token(client, PASSWORD, "3.3.3.3").status_code == 429
    assert (
        "Too many failed sign-ins" in forwarded_token(client, PASSWORD, "4.4.4.4").json()["detail"]
    )

    rates = {**ScopedRateThrottle.THROTTLE_RATES, "token": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    other = Client()
    responses = [
        other.post(
            "/api/v1/auth/token/",
            json.dumps({"username": f"nobody{n}", "password": WRONG}),  # no lock-out here
            content_type="application/json",
            REMOTE_ADDR="10.0.0.9",
            HTTP_X_FORWARDED_FOR=f"5.5.5.{n}",
        )
        for n in range(3)
    ]
    assert [response.status_code for response in responses] == [400, 400, 429]
    assert "throttled" in responses[2].json()["detail"]


def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(
    client: Client, alice: Any, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.LOGIN_FAILURE_LIMIT = 2
    # The proxy appends the address it saw; whatever the client wrote before it is ignored.
    forwarded_token(client, WRONG, "6.6.6.6, 1.1.1.1")
    forwarded_token(client, WRONG, "7.7.7.7, 1.1.1.1")
    assert forwarded_token(client, PASSWORD, "1.1.1.1").status_code == 429
    # Another client through the same proxy is not locked out by the first one's failures.
    assert forwarded_token(client, PASSWORD, "2.2.2.2").status_code == 200


# Request bodies are refused by their declared length before anything reads them.

MEGABYTE = 1024 * 1024
BOUNDARY = "shapeshop-boundary"


def multipart_body(size: int, *, field: str = "image", filename: str = "big.png") -> bytes:
    """A multipart body with one file part of ``size`` bytes."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    return head + b"\0" * size + f"\r\n--{BOUNDARY}--\r\n".encode()


def post_stream(client: Client, url: str, body: bytes, declared: int | None) -> tuple[Any, Any]:
    """POSTs ``body`` as a stream that says how much of it was read; ``declared`` is the
    Content-Length header (None: no header, as a chunked body has none)."""
    import io

    stream = io.BytesIO(body)
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    extra: dict[str, Any] = {"CONTENT_TYPE": content_type, "wsgi.input": stream}
    if declared is None:
        extra["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        extra["CONTENT_LENGTH"] = str(declared)
    # Django's client reads the content type from CONTENT_TYPE, DRF's from content_type.
    return client.generic("POST", url, content_type=content_type, **extra), stream


@pytest.fixture
def temporary_files(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[str]]:
    """FILE_UPLOAD_TEMP_DIR in a folder of the test's own, and the name of every temporary
    file Django makes for an upload (they are deleted at the end of the request)."""
    from django.core.files import temp

    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    made: list[str] = []
    original = temp.NamedTemporaryFile

    def recording(*args: Any, **kwargs: Any) -> Any:
        file = original(*args, **kwargs)
        made.append(file.name)
        return file

    monkeypatch.setattr(temp, "NamedTemporaryFile", recording)
    return folder, made


@pytest.mark.parametrize("claimed", [200 * MEGABYTE, None], ids=["claims-200MB", "honest-3MB"])
def test_a_large_multipart_body_to_the_sign_in_page_is_refused_unread(
    temporary_files: tuple[Path, list[str]], claimed: int | None
) -> None:
    """An anonymous multipart POST far over the limit is a 413 before a byte of it is read:
    no temporary file, nothing read from the stream. Its Content-Length claims 200 MB (only
    3 MB follow), or is the 3 MB that follow."""
    folder, made = temporary_files
    body = multipart_body(3 * MEGABYTE, field="username")
    response, stream = post_stream(Client(), "/accounts/login/", body, claimed or len(body))
    assert response.status_code == 413
    assert "larger than the 1024 kB" in response.content.decode()
    assert stream.tell() == 0
    assert made == [] and list(folder.iterdir()) == []


def test_a_body_without_a_length_is_not_read(temporary_files: tuple[Path, list[str]]) -> None:
    """A chunked body (no Content-Length) is not read at all: Django reads exactly the declared
    length, so the limit cannot be passed by leaving the length out."""
    folder, made = temporary_files
    response, stream = post_stream(
        Client(), "/accounts/login/", multipart_body(3 * MEGABYTE), declared=None
    )
    assert response.status_code == 200  # the sign-in form again: no username was read
    assert stream.tell() == 0
    assert made == [] and list(folder.iterdir()) == []


def test_only_the_picture_uploads_take_a_body_over_a_megabyte(
    alice_api: APIClient, temporary_files: tuple[Path, list[str]]
) -> None:
    """A 1.5 MB picture reaches the upload's own checks (in memory, no temporary file); the
    same body elsewhere, or a body over the upload limit, is refused unread."""
    from drawing.imaging import MAX_UPLOAD_BYTES

    folder, made = temporary_files
    body = multipart_body(3 * MEGABYTE // 2)
    response, stream = post_stream(alice_api, "/api/v1/classes/convert/", body, len(body))
    assert response.status_code == 400
    assert response.json() == {"image": ["the file is not a PNG or JPEG image"]}
    assert stream.tell() == len(body)

    response, stream = post_stream(alice_api, "/api/v1/experiments/", body, len(body))
    assert response.status_code == 413 and stream.tell() == 0
    assert "larger than the 1024 kB" in response.json()["detail"]

    huge = multipart_body(MAX_UPLOAD_BYTES + 100 * 1024)
    response, stream = post_stream(alice_api, "/api/v1/classes/convert/", huge, len(huge))
    assert response.status_code == 413 and stream.tell() == 0
    response, stream = post_stream(alice_api, "/api/v1/classes/", body, 200 * MEGABYTE)
    assert response.status_code == 413 and stream.tell() == 0
    assert made == [] and list(folder.iterdir()) == []


def test_the_upload_handler_stops_reading_past_the_limit(
    temporary_files: tuple[Path, list[str]],
) -> None:
    """Behind the length check, the upload handler keeps files in memory and stops as soon
    as they pass the request's limit (here reached with no middleware in front)."""
    from django.test import RequestFactory

    from shapeshop_site.middleware import BodyTooLarge

    folder, made = temporary_files
    body = multipart_body(3 * MEGABYTE // 2)
    request = RequestFactory().generic(
        "POST", "/accounts/login/", body, f"multipart/form-data; boundary={BOUNDARY}"
    )
    with pytest.raises(BodyTooLarge):
        request.FILES  # noqa: B018
    small = RequestFactory().generic(
        "POST",
        "/accounts/login/",
        multipart_body(1000),
        f"multipart/form-data; boundary={BOUNDARY}",
    )
    upload = small.FILES["image"]
    assert upload.size == 1000 and upload.read() == b"\0" * 1000
    assert made == [] and list(folder.iterdir()) == []


# Names, titles and notes refuse invisible and bidirectional control characters
# (experiments/text.py), through every API that stores one.

RIGHT_TO_LEFT_OVERRIDE = "\u202e"
ZERO_WIDTH_SPACE = "\u200b"
HIDDEN = [RIGHT_TO_LEFT_OVERRIDE, ZERO_WIDTH_SPACE, "\u2066", "\ufeff", "\ue000"]
HIDDEN_IDS = ["RLO", "ZWSP", "LRI", "BOM", "private-use"]


def a_drawing() -> list[list[float]]:
    grid = [[0.0] * 28 for _ in range(28)]
    for row in range(8, 20):
        grid[row][8:20] = [1.0] * 12
    return grid


def assert_refused_as_hidden(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    assert "printable characters only" in response.json()[field][0]


@pytest.mark.parametrize("char", HIDDEN, ids=HIDDEN_IDS)
def test_a_drawn_class_name_refuses_hidden_characters(alice_api: APIClient, char: str) -> None:
    from drawing.models import ShapeClass

    body = {"name": f"House{char}", "pixels": a_drawing()}
    response = alice_api.post("/api/v1/classes/", body, format="json")
    assert_refused_as_hidden(response, "name")
    assert not ShapeClass.objects.exists()
    assert (
        alice_api.post("/api/v1/classes/", {**body, "name": "House"}, format="json").status_code
        == 201
    )


def two_experiments(user: Any) -> list[int]:
    from experiments import services

    config = {"classes": ["box", "line"], "epochs": 1, "max_steps": 2}
    return [services.experiment_create(user=user, config=config).pk for _ in range(2)]


@pytest.mark.parametrize("char", HIDDEN, ids=HIDDEN_IDS)
def test_a_saved_comparison_name_refuses_hidden_characters(
    alice: Any, alice_api: APIClient, char: str
) -> None:
    from history.models import SavedComparison

    body = {"name": f"{char}Baseline", "experiment_ids": two_experiments(alice)}
    response = alice_api.post("/api/v1/comparisons/", body, format="json")
    assert_refused_as_hidden(response, "name")
    assert not SavedComparison.objects.exists()
    assert (
        alice_api.post(
            "/api/v1/comparisons/", {**body, "name": "Baseline"}, format="json"
        ).status_code
        == 201
    )


@pytest.mark.parametrize("char", HIDDEN, ids=HIDDEN_IDS)
def test_a_note_refuses_hidden_characters_but_keeps_its_lines(
    alice: Any, alice_api: APIClient, char: str
) -> None:
    pk = two_experiments(alice)[0]
    url = f"/api/v1/experiments/{pk}/annotations/"
    response = alice_api.patch(url, {"note": f"first try{char}"}, format="json")
    assert_refused_as_hidden(response, "note")
    assert Experiment.objects.get(pk=pk).note == ""
    response = alice_api.patch(url, {"note": "first try\n\tthen a second"}, format="json")
    assert response.status_code == 200
    assert Experiment.objects.get(pk=pk).note == "first try\n\tthen a second"


@pytest.mark.parametrize("char", [RIGHT_TO_LEFT_OVERRIDE, ZERO_WIDTH_SPACE], ids=["RLO", "ZWSP"])
def test_a_tag_refuses_hidden_characters(alice: Any, alice_api: APIClient, char: str) -> None:
    """Tags were letters a to z, digits, - and _ already; this keeps them so."""
    pk = two_experiments(alice)[0]
    url = f"/api/v1/experiments/{pk}/annotations/"
    response = alice_api.patch(url, {"tags": [f"pilot{char}"]}, format="json")
    assert response.status_code == 400 and "tags" in response.json()
    assert Experiment.objects.get(pk=pk).tags == []


@pytest.fixture
def staff_api(django_user_model: Any) -> APIClient:
    staff = django_user_model.objects.create_user("rita", password=PASSWORD, is_staff=True)
    client = APIClient()
    client.force_login(staff)
    return client


STUDY = {"title": "Pilot", "tasks": ["Train a model."], "conditions": [{"name": "control"}]}


@pytest.mark.parametrize("char", HIDDEN, ids=HIDDEN_IDS)
@pytest.mark.parametrize("field", ["title", "tasks", "conditions"])
def test_a_study_s_title_tasks_and_condition_names_refuse_hidden_characters(
    staff_api: APIClient, field: str, char: str
) -> None:
    from studies.models import Study

    hidden = {
        "title": f"Pilot{char}",
        "tasks": [f"Train{char} a model."],
        "conditions": [{"name": f"con{char}trol"}],
    }
    response = staff_api.post("/api/v1/studies/", {**STUDY, field: hidden[field]}, format="json")
    assert_refused_as_hidden(response, "name" if field == "conditions" else field)
    assert not Study.objects.exists()


def test_a_study_s_title_and_tasks_refuse_hidden_characters_when_changed(
    staff_api: APIClient,
) -> None:
    from studies.models import Study

    created = staff_api.post("/api/v1/studies/", STUDY, format="json")
    assert created.status_code == 201, created.content
    url = f"/api/v1/studies/{created.json()['id']}/"
    for field, value in [("title", f"Pilot{ZERO_WIDTH_SPACE}"), ("tasks", ["A\u202eB"])]:
        assert_refused_as_hidden(staff_api.patch(url, {field: value}, format="json"), field)
    study = Study.objects.get()
    assert (study.title, study.tasks) == ("Pilot", ["Train a model."])
