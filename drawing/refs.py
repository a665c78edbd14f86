"""How run configurations and highlights name a drawn class: ``drawn:<id>``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drawing.models import ShapeClass

DRAWN_PREFIX = "drawn:"
DRAWN_PATTERN = re.compile(r"^drawn:([1-9][0-9]{0,17})$")


def drawn_ref(shape_class: ShapeClass) -> str:
    """How run configurations and highlights name a drawn class."""
    return f"{DRAWN_PREFIX}{shape_class.pk}"


def drawn_id(ref: str) -> int | None:
    """The id in ``drawn:<id>``, or None when ``ref`` is not of that form."""
    match = DRAWN_PATTERN.match(ref) if isinstance(ref, str) else None
    return int(match.group(1)) if match else None
