from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from models_zoo import render, shapes
from models_zoo.metrics import abs_pearson, cross_r


def test_abs_pearson_of_identical_and_inverted_images_is_one():
    box = shapes.image("box")
    assert abs_pearson(box, box) == pytest.approx(1.0)
    assert abs_pearson(box, 1.0 - box) == pytest.approx(1.0)


def test_abs_pearson_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(28, 28)), rng.normal(size=(28, 28))
    assert abs_pearson(a, b) == pytest.approx(abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]))


@pytest.mark.parametrize("constant", [np.zeros((28, 28)), np.full((28, 28), 0.7)])
def test_a_constant_image_has_no_r(constant):
    assert abs_pearson(constant, shapes.image("box")) is None
    assert abs_pearson(shapes.image("line"), constant) is None


def test_cross_r_rows_are_images_columns_templates():
    box, line = shapes.image("box"), shapes.image("line")
    matrix = cross_r([box, np.zeros((28, 28))], [box, line])
    assert matrix[0][0] == pytest.approx(1.0)
    assert 0 < matrix[0][1] < 1
    assert matrix[1] == [None, None]


def test_png_is_min_max_scaled_and_upscaled_crisply():
    image = np.array([[-2.0, 0.0], [1.0, 2.0]], np.float32)
    picture = Image.open(io.BytesIO(render.to_png(image, scale=3)))
    assert picture.size == (6, 6) and picture.mode == "L"
    pixels = np.asarray(picture)
    assert pixels[0, 0] == 0 and pixels[-1, -1] == 255
    assert set(np.unique(pixels[:3, :3])) == {0}  # nearest neighbour, no blur


def test_constant_image_renders_grey():
    pixels = np.asarray(Image.open(io.BytesIO(render.to_png(np.zeros((28, 28))))))
    assert np.all(pixels == 128)


def test_grid_has_a_column_per_class():
    images = [shapes.image("box"), shapes.image("line")]
    png = render.grid_png(images, images, ["box\nr=1.00", "line\nr=1.00"], scale=2)
    width, height = Image.open(io.BytesIO(png)).size
    assert width == 2 * (56 + 8) + 8 and height > 2 * 56
