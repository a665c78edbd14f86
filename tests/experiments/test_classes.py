"""Drawn classes: storage, validation, uploads and ownership, through the API and services."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from drawing import imaging
from drawing import services as drawing_services
from drawing.models import Highlight, ShapeClass
from experiments import services
from experiments.models import Experiment

pytestmark = pytest.mark.django_db

URL = "/api/v1/classes/"


def house() -> list[list[float]]:
    """A box with a roof: light on dark like the catalogue."""
    grid = np.zeros((28, 28))
    grid[14:24, 8:20] = 1.0
    for row in range(6, 14):
        half = row - 6
        grid[row, 14 - half : 14 + half] = 0.8
    return grid.round(4).tolist()


def png(array: np.ndarray, mode: str = "L", fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode if mode != "L" else None).save(buffer, format=fmt)
    return buffer.getvalue()


def dark_box_on_white(size: int = 100) -> np.ndarray:
    picture = np.full((size, size), 255, dtype=np.uint8)
    picture[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 0
    return picture


def upload(data: bytes, name: str = "box.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- it works ----------------------------------------------------------------------------


def test_a_drawn_class_is_stored_listed_changed_and_deleted(alice_api: Any, alice: Any) -> None:
    response = alice_api.post(URL, {"name": "House", "pixels": house()}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    stored = ShapeClass.objects.get(pk=body["id"])
    assert stored.owner == alice and stored.name == "House"
    assert stored.pixels == house()
    assert body["key"] == f"drawn:{stored.pk}"
    assert body["pixels"] == house()

    listed = alice_api.get(URL).json()
    assert [item["name"] for item in listed] == ["House"]
    assert alice_api.get(f"{URL}{stored.pk}/").json()["pixels"] == house()

    flipped = np.flipud(np.asarray(house())).tolist()
    response = alice_api.put(
        f"{URL}{stored.pk}/", {"name": "Upside down", "pixels": flipped}, format="json"
    )
    assert response.status_code == 200, response.json()
    stored.refresh_from_db()
    assert stored.name == "Upside down" and stored.pixels == flipped

    assert alice_api.delete(f"{URL}{stored.pk}/").status_code == 204
    assert not ShapeClass.objects.filter(pk=stored.pk).exists()


def test_names_are_unique_per_user_not_across_users(alice: Any, bob: Any) -> None:
    drawing_services.drawn_class_save(user=alice, name="House", pixels=house())
    drawing_services.drawn_class_save(user=bob, name="House", pixels=house())
    with pytest.raises(ValidationError) as caught:
        drawing_services.drawn_class_save(user=alice, name="  house ", pixels=house())
    assert "already have a class named 'house'" in caught.value.message_dict["name"][0]
    # Saving a class under its own name again is no clash.
    mine = ShapeClass.objects.get(owner=alice)
    drawing_services.drawn_class_save(user=alice, name="House", pixels=house(), shape_class=mine)


# --- bad input ---------------------------------------------------------------------------


def grid_with(value: Any) -> list[list[Any]]:
    grid: list[list[Any]] = house()
    grid[3][5] = value
    return grid


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"name": "A", "pixels": house()[:27]}, "pixels", "not 27 rows"),
        ({"name": "A", "pixels": [row[:27] for row in house()]}, "pixels", "row 0 must hold 28"),
        ({"name": "A", "pixels": grid_with(1.5)}, "pixels", "must lie in [0, 1]"),
        ({"name": "A", "pixels": grid_with(-0.1)}, "pixels", "must lie in [0, 1]"),
        ({"name": "A", "pixels": grid_with("x")}, "pixels", "not a number"),
        ({"name": "A", "pixels": grid_with(None)}, "pixels", "not a number"),
        ({"name": "A", "pixels": [[0.0] * 28] * 28}, "pixels", "blank"),
        ({"name": "A", "pixels": [[1.0] * 28] * 28}, "pixels", "blank"),
        ({"name": "A"}, "pixels", "send the drawing"),
        ({"name": "", "pixels": house()}, "name", "1 to 40"),
        ({"name": "x" * 41, "pixels": house()}, "name", "40 characters, not 41"),
        ({"pixels": house()}, "name", "Give the class a name"),
    ],
)
def test_bad_classes_get_a_400_naming_the_problem_and_nothing_is_stored(
    alice_api: Any, payload: dict[str, Any], field: str, words: str
) -> None:
    response = alice_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])
    assert ShapeClass.objects.count() == 0


def test_nan_pixels_are_refused(alice: Any, alice_api: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        drawing_services.drawn_class_save(user=alice, name="A", pixels=grid_with(float("nan")))
    assert "not a finite number" in caught.value.message_dict["pixels"][0]
    # JSON itself has no NaN: a body carrying one is refused as bad JSON.
    body = '{"name": "A", "pixels": [[NaN]]}'
    response = alice_api.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert ShapeClass.objects.count() == 0


def test_a_duplicate_name_is_a_400_and_the_first_class_stays(alice_api: Any) -> None:
    alice_api.post(URL, {"name": "House", "pixels": house()}, format="json")
    response = alice_api.post(URL, {"name": "HOUSE", "pixels": grid_with(0.5)}, format="json")
    assert response.status_code == 400
    assert "already have a class named" in response.json()["name"][0]
    assert ShapeClass.objects.get().pixels == house()


def test_a_bad_change_leaves_the_class_as_it_was(alice: Any, alice_api: Any) -> None:
    shape_class = drawing_services.drawn_class_save(user=alice, name="House", pixels=house())
    response = alice_api.put(
        f"{URL}{shape_class.pk}/", {"name": "Other", "pixels": [[0.0] * 28] * 28}, format="json"
    )
    assert response.status_code == 400 and "blank" in response.json()["pixels"][0]
    shape_class.refresh_from_db()
    assert shape_class.name == "House" and shape_class.pixels == house()


def test_a_json_body_that_is_not_an_object_is_a_400(alice_api: Any) -> None:
    response = alice_api.post(URL, [1, 2], format="json")
    assert response.status_code == 400
    assert "JSON object" in response.json()["non_field_errors"][0]


# --- uploads -----------------------------------------------------------------------------


def test_an_uploaded_dark_on_light_png_becomes_a_light_on_dark_class(alice_api: Any) -> None:
    response = alice_api.post(
        URL, {"name": "Scanned", "image": upload(png(dark_box_on_white()))}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    pixels = np.asarray(ShapeClass.objects.get().pixels)
    assert pixels.shape == (28, 28)
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    # The dark square became the light shape in the middle; the white paper became background.
    assert pixels[14, 14] == 1.0 and pixels[0, 0] == 0.0 and pixels[27, 27] == 0.0
    assert pixels[8:20, 8:20].mean() > 0.9


def test_an_uploaded_light_on_dark_jpeg_is_kept_the_right_way_round(alice_api: Any) -> None:
    picture = 255 - dark_box_on_white(60)
    response = alice_api.post(
        f"{URL}convert/",
        {"image": upload(png(picture, fmt="JPEG"), "box.jpg", "image/jpeg")},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    pixels = np.asarray(response.json()["pixels"])
    assert pixels[14, 14] > 0.9 and pixels[1, 1] < 0.1
    assert ShapeClass.objects.count() == 0  # converting stores nothing


def test_a_transparent_png_uses_its_opacity_as_the_shape(alice_api: Any) -> None:
    picture = np.zeros((40, 80, 4), dtype=np.uint8)  # wide: fitted with its proportions
    picture[10:30, 30:50] = (255, 255, 255, 255)  # white ink on a transparent background
    response = alice_api.post(
        f"{URL}convert/", {"image": upload(png(picture, mode="RGBA"))}, format="multipart"
    )
    pixels = np.asarray(response.json()["pixels"])
    assert pixels[14, 14] == 1.0 and pixels[14, 2] == 0.0
    assert pixels[0].max() == 0.0  # the padding above the wide picture is background


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"this is plain text, not a picture", "not a PNG or JPEG"),
        (b"", "empty"),
        (b"GIF89a" + b"\0" * 40, "not a PNG or JPEG"),
        (png(np.full((20, 20), 128, dtype=np.uint8)), "one flat colour"),
        (png(np.zeros((1, 4097), dtype=np.uint8)), "at most 4096 on each side"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (imaging.MAX_UPLOAD_BYTES + 1), "larger than"),
    ],
)
def test_bad_uploads_get_a_400_naming_the_image(alice_api: Any, data: bytes, words: str) -> None:
    for url in (URL, f"{URL}convert/"):
        response = alice_api.post(
            url, {"name": "Upload", "image": upload(data)}, format="multipart"
        )
        assert response.status_code == 400
        assert words in response.json()["image"][0]
    assert ShapeClass.objects.count() == 0


def test_a_gif_is_refused_even_when_it_is_a_real_image(alice_api: Any) -> None:
    buffer = io.BytesIO()
    Image.fromarray(dark_box_on_white(30)).save(buffer, format="GIF")
    response = alice_api.post(
        f"{URL}convert/", {"image": upload(buffer.getvalue(), "a.gif")}, format="multipart"
    )
    assert response.status_code == 400
    assert "not a PNG or JPEG" in response.json()["image"][0]


# --- ownership ---------------------------------------------------------------------------


def test_another_users_class_is_a_404_on_every_endpoint(alice: Any, bob_api: Any) -> None:
    shape_class = drawing_services.drawn_class_save(user=alice, name="House", pixels=house())
    url = f"{URL}{shape_class.pk}/"
    assert bob_api.get(URL).json() == []
    assert bob_api.get(url).status_code == 404
    response = bob_api.put(url, {"name": "Mine now", "pixels": house()}, format="json")
    assert response.status_code == 404
    assert bob_api.delete(url).status_code == 404
    shape_class.refresh_from_db()
    assert shape_class.name == "House"


def test_the_endpoints_need_a_login(client: Any) -> None:
    for url in (URL, f"{URL}1/", f"{URL}convert/", "/api/v1/highlights/"):
        assert client.get(url).status_code in (401, 403)
        assert client.post(url, {}).status_code in (401, 403, 405)


def test_another_users_drawn_class_cannot_be_trained_on(alice: Any, bob_api: Any) -> None:
    shape_class = drawing_services.drawn_class_save(user=alice, name="House", pixels=house())
    response = bob_api.post(
        "/api/v1/experiments/",
        {"classes": ["box", f"drawn:{shape_class.pk}"], "epochs": 3},
        format="json",
    )
    assert response.status_code == 400
    assert f"unknown class 'drawn:{shape_class.pk}'" in response.json()["classes"][0]
    assert Experiment.objects.count() == 0


# --- experiments -------------------------------------------------------------------------


def test_an_experiment_mixes_drawn_and_catalogue_classes_and_keeps_a_copy(
    alice: Any, alice_api: Any
) -> None:
    shape_class = drawing_services.drawn_class_save(user=alice, name="House", pixels=house())
    ref = f"drawn:{shape_class.pk}"
    drawing_services.highlight_save(
        user=alice, ref=ref, relevant=[[0] * 28] * 28, irrelevant=[[1] * 4 + [0] * 24] * 28
    )
    response = alice_api.post(
        "/api/v1/experiments/", {"classes": ["box", ref, "noise"], "epochs": 3}, format="json"
    )
    assert response.status_code == 201, response.json()
    experiment = Experiment.objects.get()
    assert experiment.class_keys == ["box", ref, "noise"]
    copies = {item["key"]: item for item in experiment.trained_on}
    assert copies[ref]["name"] == "House" and copies[ref]["pixels"] == house()
    assert copies[ref]["irrelevant"][0][:5] == [1, 1, 1, 1, 0]
    assert copies["box"]["irrelevant"] is None

    # Deleting the class (and with it its highlight) leaves the experiment's copy intact.
    assert alice_api.delete(f"{URL}{shape_class.pk}/").status_code == 204
    assert not Highlight.objects.exists()
    experiment.refresh_from_db()
    specs = services.class_specs(experiment=experiment)
    assert [spec.key for spec in specs] == ["box", ref, "noise"]
    assert specs[1].image is not None
    np.testing.assert_allclose(specs[1].image, np.asarray(house(), np.float32))
    assert specs[1].irrelevant is not None and specs[1].irrelevant[:, :4].min() == 1.0
    assert specs[0].irrelevant is None


def test_an_unknown_or_malformed_drawn_reference_is_a_400(alice_api: Any) -> None:
    for ref in ("drawn:999", "drawn:abc", "drawn:"):
        response = alice_api.post(
            "/api/v1/experiments/", {"classes": ["box", ref], "epochs": 3}, format="json"
        )
        assert response.status_code == 400
        assert ref in response.json()["classes"][0]


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}99999999999999999999999/",
        "/api/v1/highlights/99999999999999999999999/",
        "/api/v1/experiments/99999999999999999999999/highlight-baseline/",
    ],
)
def test_out_of_range_ids_are_404(alice_api: Any, url: str) -> None:
    assert alice_api.get(url).status_code in (404, 405)
    assert alice_api.post(url).status_code in (404, 405)
    assert alice_api.delete(url).status_code in (404, 405)


def test_a_huge_drawn_id_in_a_run_or_highlight_is_a_400(alice_api: Any) -> None:
    ref = "drawn:999999999999999999"
    response = alice_api.post(
        "/api/v1/experiments/", {"classes": ["box", ref], "epochs": 3}, format="json"
    )
    assert response.status_code == 400
    response = alice_api.post(
        "/api/v1/highlights/",
        {"class": ref, "relevant": [[0] * 28] * 28, "irrelevant": [[1] * 28] * 28},
        format="json",
    )
    assert response.status_code == 400


def test_a_name_with_control_characters_is_refused(alice_api: Any) -> None:
    response = alice_api.post(URL, {"name": "Ho\x00use", "pixels": house()}, format="json")
    assert response.status_code == 400
    assert "printable" in response.json()["name"][0]
    assert ShapeClass.objects.count() == 0


def test_a_16_bit_png_is_scaled_by_its_own_range(alice_api: Any) -> None:
    picture = np.full((40, 40), 60000, dtype=np.uint16)  # light paper
    picture[10:30, 10:30] = 1000  # dark ink
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    response = alice_api.post(
        f"{URL}convert/", {"image": upload(buffer.getvalue())}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    pixels = np.asarray(response.json()["pixels"])
    assert pixels[14, 14] == 1.0 and pixels[1, 1] == 0.0
