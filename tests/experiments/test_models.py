"""Table-level rules: class images are validated, names are unique per owner."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from drawing.models import ShapeClass

pytestmark = pytest.mark.django_db

BLANK = [[0.0] * 28 for _ in range(28)]


@pytest.mark.parametrize(
    "pixels",
    [
        [[0.0] * 28] * 27,
        [[0.0] * 27] * 28,
        [[2.0] * 28] * 28,
        [["a"] * 28] * 28,
        [[float("nan")] * 28] * 28,
        "not a grid",
    ],
)
def test_a_class_image_must_be_28_by_28_in_the_unit_range(alice: Any, pixels: Any) -> None:
    shape_class = ShapeClass(owner=alice, key="bad", name="Bad", pixels=pixels)
    with pytest.raises(ValidationError) as caught:
        shape_class.full_clean()
    assert "pixels" in caught.value.message_dict


def test_a_valid_class_image_passes(alice: Any) -> None:
    ShapeClass(owner=alice, key="blank", name="Blank", pixels=BLANK).full_clean()


def test_names_are_unique_per_owner_and_among_shared_classes(alice: Any, bob: Any) -> None:
    ShapeClass.objects.create(owner=alice, key="a", name="Dot", pixels=BLANK)
    ShapeClass.objects.create(owner=bob, key="a", name="Dot", pixels=BLANK)
    ShapeClass.objects.create(owner=None, key="a", name="Dot", pixels=BLANK)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShapeClass.objects.create(owner=alice, key="b", name="Dot", pixels=BLANK)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShapeClass.objects.create(owner=None, key="b", name="Dot", pixels=BLANK)
