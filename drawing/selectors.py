"""Every read of drawn classes and highlights, always on behalf of one user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from drawing.models import Highlight, ShapeClass
from drawing.refs import drawn_id


def drawn_class_list(*, user: AbstractBaseUser) -> QuerySet[ShapeClass]:
    return ShapeClass.objects.filter(owner=user).order_by("created_at", "id")


def drawn_class_get(*, user: AbstractBaseUser, pk: int) -> ShapeClass:
    return get_object_or_404(ShapeClass, pk=pk, owner=user)


def shape_class_list(*, user: AbstractBaseUser) -> QuerySet[ShapeClass]:
    """The classes the user drew, beside the shared ones (no owner)."""
    return ShapeClass.objects.filter(owner=user) | ShapeClass.objects.filter(owner__isnull=True)


def drawn_copy(*, user: AbstractBaseUser, ref: str) -> dict[str, Any] | None:
    """The copy an experiment keeps of the user's drawn class ``ref``, or None when the user
    has no such class (another user's class is unknown, never shown)."""
    pk = drawn_id(ref)
    if pk is None:
        return None
    shape_class = ShapeClass.objects.filter(pk=pk, owner=user).first()
    if shape_class is None:
        return None
    return {"key": ref, "name": shape_class.name, "noise": None, "pixels": shape_class.pixels}


def keyed_copy(*, user: AbstractBaseUser, key: str) -> dict[str, Any] | None:
    """The copy of a class named by its stored key: the user's own first, then one kept
    beside the catalogue for everyone (no owner); None when neither has that key."""
    shape_class = (
        ShapeClass.objects.filter(owner=user, key=key).first()
        or ShapeClass.objects.filter(owner__isnull=True, key=key).first()
    )
    if shape_class is None:
        return None
    return {"key": key, "name": shape_class.name, "noise": None, "pixels": shape_class.pixels}


def highlight_list(*, user: AbstractBaseUser) -> QuerySet[Highlight]:
    return Highlight.objects.filter(owner=user).order_by("class_ref")


def highlight_get(*, user: AbstractBaseUser, pk: int) -> Highlight:
    return get_object_or_404(Highlight, pk=pk, owner=user)


def attach_highlights(*, user: AbstractBaseUser, copies: list[dict[str, Any]]) -> None:
    """Adds the user's masks to an experiment's copy of its classes (``relevant`` and
    ``irrelevant``), so the run keeps them as they were. A class the user has not highlighted
    keeps the masks its copy came with (a dataset's default, such as the decoy corners), or
    None; a highlight replaces them."""
    masks = {
        highlight.class_ref: highlight
        for highlight in Highlight.objects.filter(
            owner=user, class_ref__in=[item["key"] for item in copies]
        )
    }
    for item in copies:
        highlight = masks.get(item["key"])
        if highlight is None:
            item.setdefault("relevant", None)
            item.setdefault("irrelevant", None)
        else:
            item["relevant"] = highlight.relevant
            item["irrelevant"] = highlight.irrelevant
