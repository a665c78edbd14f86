"""The admin console for drawn classes and highlights, images inline."""

from __future__ import annotations

import numpy as np
from django.contrib import admin

from drawing.models import Highlight, ShapeClass
from experiments.admin import ThumbnailAdmin, preview_img


@admin.register(ShapeClass)
class ShapeClassAdmin(ThumbnailAdmin):
    list_display = ["name", "key", "owner", "preview", "updated_at"]
    list_filter = [("owner", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "key", "owner__username"]
    readonly_fields = ["preview", "created_at", "updated_at"]
    raw_id_fields = ["owner"]

    @admin.display(description="image")
    def preview(self, shape_class: ShapeClass) -> str:
        from models_zoo.render import to_png

        try:
            return preview_img(
                to_png(np.asarray(shape_class.pixels, dtype=np.float32)), shape_class.name
            )
        except (TypeError, ValueError):
            return "(not a valid image)"


@admin.register(Highlight)
class HighlightAdmin(ThumbnailAdmin):
    list_display = ["class_ref", "owner", "masks", "updated_at"]
    search_fields = ["class_ref", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "shape_class"]
    readonly_fields = ["masks", "created_at", "updated_at"]

    @admin.display(description="yellow and red")
    def masks(self, highlight: Highlight) -> str:
        from models_zoo.render import to_png

        try:
            yellow = np.asarray(highlight.relevant, dtype=np.float32)
            red = np.asarray(highlight.irrelevant, dtype=np.float32)
            # Grey shows the yellow (relevant) region, white the red one.
            picture = np.maximum(0.5 * yellow, red)
            return preview_img(to_png(picture, normalise=False), str(highlight))
        except (TypeError, ValueError):
            return "(not a valid mask)"
