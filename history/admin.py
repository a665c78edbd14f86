"""The admin console for saved comparisons."""

from __future__ import annotations

from django.contrib import admin

from history.models import SavedComparison


@admin.register(SavedComparison)
class SavedComparisonAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "experiment_ids", "created_at"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
