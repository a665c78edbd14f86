"""The staff console's view of what workers computed inside runs: attribution maps and
hidden-unit images. Read-only: a worker's result is never edited by hand; deleting a row
lets the next request compute it again."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from inspector.models import AttributionMap, UnitImages


class ComputedAdmin(admin.ModelAdmin):
    """Lists and opens rows; nothing is added or changed through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AttributionMap)
class AttributionMapAdmin(ComputedAdmin):
    list_display = ("experiment", "class_key", "method", "image", "status", "finished_at")
    list_filter = ("status", "method")
    search_fields = ("class_key", "experiment__owner__username")
    list_select_related = ("experiment",)
    exclude = ("values",)


@admin.register(UnitImages)
class UnitImagesAdmin(ComputedAdmin):
    list_display = ("experiment", "layer", "kind", "status", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("layer", "experiment__owner__username")
    list_select_related = ("experiment",)
    exclude = ("images", "weights")
