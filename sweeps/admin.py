"""The staff console's view of sweeps: each with its runs, read-only (a run's own page is
in the experiments' admin)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from sweeps.models import Sweep, SweepMember


class SweepMemberInline(admin.TabularInline):
    model = SweepMember
    extra = 0
    can_delete = False
    fields = ["position", "experiment", "seed", "values", "status", "sent_at"]
    readonly_fields = fields
    ordering = ["position"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[SweepMember]:
        return super().get_queryset(request).select_related("experiment__owner")

    @admin.display(description="status")
    def status(self, member: SweepMember) -> str:
        return member.experiment.status


@admin.register(Sweep)
class SweepAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "owner",
        "name",
        "seeds",
        "runs",
        "created_at",
        "finished_at",
        "cancelled",
    ]
    list_filter = ["owner", "cancelled"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    readonly_fields = [
        "owner",
        "number",
        "config",
        "vary",
        "seeds",
        "created_at",
        "finished_at",
        "cancelled",
    ]
    fields = ["owner", "number", "name", *readonly_fields[2:]]
    inlines = [SweepMemberInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sweep]:
        return super().get_queryset(request).annotate(run_count=Count("members"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a sweep is made through the API or the builder, never by hand

    @admin.display(description="runs", ordering="run_count")
    def runs(self, sweep: Sweep) -> int:
        return sweep.run_count  # type: ignore[attr-defined]
