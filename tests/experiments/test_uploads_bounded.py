"""An upload's memory is bounded by what it decodes to, not by its file size."""

from __future__ import annotations

import io
import tracemalloc
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from drawing import imaging

pytestmark = pytest.mark.django_db

CONVERT = "/api/v1/classes/convert/"


def png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def square(size: int, mode: str, value: int) -> Image.Image:
    array = np.zeros((size, size), dtype=np.uint16 if mode == "I;16" else np.uint8)
    array[size // 4 : size // 2, size // 4 : size // 2] = value
    return Image.fromarray(array)  # uint16 gives I;16, uint8 gives L


def test_a_small_file_that_decodes_huge_is_refused_before_decoding(alice_api: APIClient) -> None:
    data = png(square(4096, "I;16", 60000))
    assert len(data) < imaging.MAX_UPLOAD_BYTES // 10  # a few tens of kB
    upload = SimpleUploadedFile("huge.png", data, content_type="image/png")
    response = alice_api.post(CONVERT, {"image": upload}, format="multipart")
    assert response.status_code == 400
    assert "MB once decoded" in response.json()["image"][0]


def test_a_large_picture_is_shrunk_before_any_float_array_is_made() -> None:
    data = png(square(2048, "L", 255))  # 4 MB decoded: allowed
    tracemalloc.start()
    try:
        pixels = imaging.image_to_pixels(SimpleUploadedFile("big.png", data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A float64 copy of the whole picture alone would be 32 MB.
    assert peak < 4 * 2**20
    array = np.asarray(pixels)
    assert array.shape == (28, 28) and array.max() == 1.0 and array.min() == 0.0


@pytest.mark.parametrize("mode", ["I;16", "RGB", "P"])
def test_pictures_of_every_depth_still_convert(alice_api: APIClient, mode: str) -> Any:
    picture = square(600, "I;16" if mode == "I;16" else "L", 50000 if mode == "I;16" else 200)
    if mode != "I;16":
        picture = picture.convert(mode)
    upload = SimpleUploadedFile("shape.png", png(picture), content_type="image/png")
    response = alice_api.post(CONVERT, {"image": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    array = np.asarray(response.json()["pixels"])
    assert array.shape == (28, 28) and array[10, 10] > 0.9 and array[0, 0] < 0.1


def test_converting_pictures_is_throttled_per_user(
    alice_api: APIClient, bob_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    # DRF reads the rates once, when the throttle class is defined.
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "image_convert": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    data = png(square(60, "L", 200))

    def convert(client: APIClient) -> int:
        upload = SimpleUploadedFile("shape.png", data, content_type="image/png")
        return client.post(CONVERT, {"image": upload}, format="multipart").status_code

    assert [convert(alice_api) for _ in range(3)] == [200, 200, 429]
    assert convert(bob_api) == 200
