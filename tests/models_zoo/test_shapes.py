from __future__ import annotations

import numpy as np
import pytest

from models_zoo import shapes

# Areas (pixels at 1.0) and inclusive bounding boxes (top, left, bottom, right) of the
# fixed classes, as the 2017 prototype drew them.
GEOMETRY = {
    "box": (196, (7, 7, 20, 20)),
    "box_hollow": (96, (7, 7, 20, 20)),
    "line": (28, (7, 13, 20, 14)),
    "line_horizontal": (28, (13, 7, 14, 20)),
    "circle": (193, (7, 7, 21, 21)),
    "circle_hollow": (112, (7, 7, 21, 21)),
    "tri": (100, (9, 5, 18, 23)),
    "tl": (36, (0, 0, 5, 5)),
    "br": (36, (22, 22, 27, 27)),
    "line_tl": (12, (0, 2, 5, 3)),
    "line_br": (12, (22, 25, 27, 26)),
    "circle_tl": (13, (1, 1, 5, 5)),
    "circle_br": (13, (22, 22, 26, 26)),
    "tri_tl": (16, (0, 0, 3, 6)),
    "tri_br": (16, (21, 21, 24, 27)),
}


def bounds(img: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(img)
    return int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max())


def test_catalogue_has_the_eighteen_classes_in_order_plus_house():
    assert list(shapes.CATALOGUE)[:18] == [
        "box", "box_hollow", "line", "line_horizontal", "circle", "circle_hollow",
        "tri", "tri_hollow", "tl", "br", "line_tl", "line_br", "circle_tl", "circle_br",
        "tri_tl", "tri_br", "noise", "noise_blur",
    ]  # fmt: skip
    assert list(shapes.CATALOGUE)[18] == "house"
    assert [s.index for s in shapes.CATALOGUE.values()] == list(range(19))


@pytest.mark.parametrize("key", list(GEOMETRY))
def test_fixed_shape_geometry(key):
    area, box = GEOMETRY[key]
    img = shapes.image(key)
    assert img.shape == (28, 28)
    assert img.dtype == np.float32
    assert set(np.unique(img)) <= {0.0, 1.0}
    assert int(img.sum()) == area
    assert bounds(img) == box


def test_triangle_rows_widen_by_two_from_a_one_pixel_apex():
    img = shapes.image("tri")
    widths = [int(img[row].sum()) for row in range(9, 19)]
    assert widths == list(range(1, 20, 2))
    assert np.flatnonzero(img[9]).tolist() == [14]
    assert np.flatnonzero(img[18]).tolist() == list(range(5, 24))


def test_hollow_triangle_keeps_its_base_solid_and_is_hollow_inside():
    hollow = shapes.image("tri_hollow")
    full = shapes.image("tri")
    assert np.all(hollow <= full)
    assert np.array_equal(hollow[18], full[18])
    assert hollow[15, 14] == 0.0
    assert 0 < hollow.sum() < full.sum()


def test_hollow_shapes_are_their_full_shape_minus_an_inner_one():
    assert np.all(shapes.image("box_hollow") <= shapes.image("box"))
    assert shapes.image("box_hollow")[14, 14] == 0.0
    assert np.all(shapes.image("circle_hollow") <= shapes.image("circle"))
    assert shapes.image("circle_hollow")[14, 14] == 0.0
    # The circle is cut flat by its 15x15 patch: full rows at its top and bottom edges.
    circle = shapes.image("circle")
    assert circle[7].sum() > 1 and circle[21].sum() > 1


def test_house_is_a_box_under_a_triangle():
    house = shapes.image("house")
    assert bounds(house) == (2, 5, 25, 23)
    assert house[12:26, 7:21].min() == 1.0  # the walls
    assert house[2, 14] == 1.0 and house[2].sum() == 1  # the roof's apex
    assert np.flatnonzero(house[11]).tolist() == list(range(5, 24))  # the eaves


def test_noise_classes_draw_from_the_given_generator():
    a = shapes.image("noise", np.random.default_rng(3))
    b = shapes.image("noise", np.random.default_rng(3))
    c = shapes.image("noise", np.random.default_rng(4))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert 0.0 <= a.min() and a.max() < 1.0
    assert shapes.CATALOGUE["noise"].is_noise and not shapes.CATALOGUE["box"].is_noise


def test_blurred_noise_is_smooth_and_mid_grey():
    img = shapes.image("noise_blur", np.random.default_rng(0))
    assert 0.1 < img.min() and img.max() < 0.85
    assert img.std() < shapes.image("noise", np.random.default_rng(0)).std() / 2


def test_unknown_key_names_the_known_ones():
    with pytest.raises(KeyError, match=r"unknown class 'star'.*box"):
        shapes.get("star")
