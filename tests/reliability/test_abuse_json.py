"""Hostile JSON and numbers are 400s that say what is wrong, and every error under /api/ is
JSON: deep nesting, whole numbers too large for a float, and the errors Django answers
itself (400, 403, 404, 500) as well as DRF's (405, 415) and the 413 of a large body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path
from rest_framework.parsers import JSONParser as PlainJSONParser
from rest_framework.test import APIClient

from drawing.models import ShapeClass
from experiments import services
from experiments.models import Experiment, clean_grid
from models_zoo.config import ConfigError, RunConfig
from shapeshop_site import urls as site_urls
from shapeshop_site.parsers import MAX_DEPTH, JSONParser, loads, nesting_depth
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# Enough levels to exhaust Python's recursion limit (1,000) in the JSON decoder.
LEVELS = 3000
HUGE = "1" + "0" * 400  # a whole number no float can hold
BLANK_ROWS = [[0.0] * 28 for _ in range(28)]


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def post_json(client: Client, url: str, body: str) -> Any:
    return client.post(url, body, content_type="application/json")


def pixels_with(number: str) -> str:
    """A drawn class whose last pixel is ``number``, written as it stands into the JSON."""
    body = json.dumps({"name": "huge", "pixels": [*BLANK_ROWS[:-1], [0.0] * 27 + ["HERE"]]})
    return body.replace('"HERE"', number)


def assert_json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()


# --- deep nesting ------------------------------------------------------------------------


def test_deep_nesting_on_the_anonymous_token_endpoint_is_a_400(client: Client, alice: Any) -> None:
    body = json.dumps({"username": "alice", "password": PASSWORD})
    body = body.replace('"alice"', '{"a": ' * LEVELS + "1" + "}" * LEVELS)
    detail = assert_json_error(post_json(client, "/api/v1/auth/token/", body), 400)["detail"]
    assert f"more than {MAX_DEPTH} levels" in detail


def test_deep_nesting_on_experiment_create_is_a_400_and_stores_nothing(
    alice_api: APIClient,
) -> None:
    body = '{"classes": ' + nested(LEVELS) + ', "model": "mlp"}'
    detail = assert_json_error(post_json(alice_api, "/api/v1/experiments/", body), 400)["detail"]
    assert f"more than {MAX_DEPTH} levels" in detail
    assert not Experiment.objects.exists()


def test_deep_nesting_in_drawn_class_pixels_is_a_400_and_stores_nothing(
    alice_api: APIClient,
) -> None:
    body = '{"name": "deep", "pixels": ' + nested(LEVELS) + "}"
    detail = assert_json_error(post_json(alice_api, "/api/v1/classes/", body), 400)["detail"]
    assert f"more than {MAX_DEPTH} levels" in detail
    assert not ShapeClass.objects.exists()


def test_nesting_as_deep_as_allowed_is_read() -> None:
    assert loads(nested(MAX_DEPTH)) == loads(nested(MAX_DEPTH))
    with pytest.raises(ValueError, match="levels deep"):
        loads(nested(MAX_DEPTH + 1))


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = json.dumps({"name": "[" * 500 + '\\"{' * 100, "rows": [[1]]})
    assert nesting_depth(text) == 3
    assert loads(text)["rows"] == [[1]]


def test_every_api_view_reads_json_with_the_bounded_parser() -> None:
    """A view that names its own parsers (DRF's token view does) must name the bounded one."""
    unbounded = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None)
                for parser in getattr(view, "parser_classes", ()):
                    if issubclass(parser, PlainJSONParser) and not issubclass(parser, JSONParser):
                        unbounded.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "/")
    api_routes = [route for route in unbounded if route.startswith("/api/")]
    assert api_routes == []


# --- numbers beyond a float --------------------------------------------------------------


@pytest.mark.parametrize("field", ["step_size", "learning_rate", "epochs"])
def test_a_400_digit_number_in_a_setting_is_a_400(alice_api: APIClient, field: str) -> None:
    body = f'{{"classes": ["box", "line"], "{field}": {HUGE}}}'
    detail = assert_json_error(post_json(alice_api, "/api/v1/experiments/", body), 400)["detail"]
    assert "401 digits" in detail and "at most 30 digits" in detail
    assert not Experiment.objects.exists()


def test_a_400_digit_number_in_a_pixel_grid_is_a_400(alice_api: APIClient) -> None:
    response = post_json(alice_api, "/api/v1/classes/", pixels_with(HUGE))
    assert "at most 30 digits" in assert_json_error(response, 400)["detail"]
    assert not ShapeClass.objects.exists()


@pytest.mark.parametrize("number", ["1e999", "-1e999"])
def test_a_number_too_large_for_a_float_is_a_400(alice_api: APIClient, number: str) -> None:
    body = f'{{"classes": ["box", "line"], "step_size": {number}}}'
    detail = assert_json_error(post_json(alice_api, "/api/v1/experiments/", body), 400)["detail"]
    assert "too large" in detail


@pytest.mark.parametrize("field", ["epochs", "seed", "copies"])
def test_a_400_digit_whole_number_in_a_form_is_a_field_error(
    alice_api: APIClient, field: str
) -> None:
    """A form sends text, which the JSON parser never sees: the settings' own checks must
    not overflow either."""
    response = alice_api.post(
        "/api/v1/experiments/", {"classes": "box,line", field: HUGE}, format="multipart"
    )
    assert field in assert_json_error(response, 400)
    assert not Experiment.objects.exists()


@pytest.mark.parametrize("field", ["step_size", "learning_rate", "epochs", "seed"])
def test_the_run_settings_refuse_a_huge_whole_number_by_name(field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_dict({"classes": ["box", "line"], field: int(HUGE)})
    assert caught.value.field == field


def test_the_service_refuses_a_huge_whole_number_by_name(alice: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.validate_config(user=alice, config={"classes": ["box", "line"], "l2": -int(HUGE)})
    assert list(caught.value.message_dict) == ["l2"]


def test_a_grid_refuses_a_huge_whole_number_by_name() -> None:
    grid = [row[:] for row in BLANK_ROWS]
    grid[5][7] = int(HUGE)
    with pytest.raises(ValidationError) as caught:
        clean_grid(grid, field="pixels")
    assert "row 5" in caught.value.message_dict["pixels"][0]
    grid[5][7] = 1  # whole numbers in range are fine
    assert clean_grid(grid, field="pixels")[5][7] == 1.0


# --- every error under /api/ is JSON -----------------------------------------------------


def raises(request: Any) -> Any:
    raise RuntimeError("a bug in a view")


# This module is also the URLconf of the tests below: the site's routes and error handlers
# (Django's own where the site names none) plus a route that raises, in and out of /api/.
urlpatterns = [
    path("api/v1/raises/", raises),
    path("raises/", raises),
    *site_urls.urlpatterns,
]
handler400 = getattr(site_urls, "handler400", "django.views.defaults.bad_request")
handler403 = getattr(site_urls, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(site_urls, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(site_urls, "handler500", "django.views.defaults.server_error")


@pytest.mark.urls(__name__)
def test_a_500_under_the_api_is_json_and_a_page_elsewhere(settings: Any) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    detail = assert_json_error(client.get("/api/v1/raises/"), 500)["detail"]
    assert "error" in detail and "RuntimeError" not in detail
    page = client.get("/raises/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.urls(__name__)
def test_django_s_own_400_under_the_api_is_json(settings: Any) -> None:
    settings.DEBUG = False
    response = Client().get("/api/v1/catalogue/", HTTP_HOST="not-this-site.example")
    assert "detail" in assert_json_error(response, 400)


def test_405_415_and_413_under_the_api_are_json(client: Client, alice_api: APIClient) -> None:
    assert "GET" in assert_json_error(client.get("/api/v1/auth/token/"), 405)["detail"]
    response = alice_api.post("/api/v1/experiments/", "hello", content_type="text/plain")
    assert "text/plain" in assert_json_error(response, 415)["detail"]
    large = '{"name": "' + "x" * 2_000_000 + '"}'
    assert (
        "larger"
        in assert_json_error(post_json(alice_api, "/api/v1/classes/", large), 413)["detail"]
    )
