"""The staff console for studies: studies with their conditions, participants, the
interaction log (read-only) and exports as CSV (zip) or JSON, from the list or a study's page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import slugify

from studies import exports, services
from studies.forms import ConditionAdminForm, EnrolForm, StudyAdminForm
from studies.models import Condition, Event, Participant, Study, StudyExperiment
from studies.services import pseudonym


class ConditionInline(admin.TabularInline):
    model = Condition
    form = ConditionAdminForm
    extra = 0
    fields = ["name", "allowed_models", "highlighting", "drawing"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    can_delete = False
    fields = ["participant", "condition", "enrolled_by", "joined_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="participant")
    def participant(self, participant: Participant) -> str:
        return pseudonym(participant.user_id)


def _attachment(data: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(study: Study, kind: str) -> HttpResponse:
    name = f"study-{study.pk}-{slugify(study.title)[:40] or 'export'}"
    if kind == "json":
        document = json.dumps(exports.json_document(study), indent=2)
        return _attachment(document, "application/json", f"{name}.json")
    return _attachment(exports.zip_bytes(study), "application/zip", f"{name}.zip")


def join_path(study: Study) -> str:
    """The page where a signed-in user joins the study, its invite code filled in."""
    return f"{reverse('study-join-page')}?{urlencode({'code': study.invite_code})}"


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    form = StudyAdminForm
    list_display = [
        "title",
        "is_open",
        "invite_code",
        "join_link",
        "participant_count",
        "created_at",
        "export",
    ]
    list_filter = ["is_open", "created_at"]
    search_fields = ["title", "description", "invite_code"]
    readonly_fields = ["invite_code", "join_link", "created_by", "created_at", "export"]
    inlines = [ConditionInline, ParticipantInline]
    actions = ["export_zip", "export_json"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Study]:
        return super().get_queryset(request).prefetch_related("participants")

    def save_model(self, request: HttpRequest, obj: Study, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<int:pk>/export/<str:kind>/",
                self.admin_site.admin_view(self.export_view),
                name="studies_study_export",
            )
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        if kind not in ("zip", "json") or not self.has_view_permission(request):
            return HttpResponse(status=404)
        return export_response(get_object_or_404(Study, pk=pk), kind)

    @admin.display(description="join link")
    def join_link(self, study: Study) -> str:
        # The link to send participants; the page asks them to sign in first.
        if study.pk is None:
            return ""
        link = join_path(study)
        return format_html('<a href="{}">{}</a>', link, link)

    @admin.display(description="participants")
    def participant_count(self, study: Study) -> int:
        return len(study.participants.all())

    @admin.display(description="export")
    def export(self, study: Study) -> str:
        if study.pk is None:
            return ""
        return format_html(
            '<a href="{}">CSV (zip)</a> · <a href="{}">JSON</a>',
            reverse("admin:studies_study_export", args=[study.pk, "zip"]),
            reverse("admin:studies_study_export", args=[study.pk, "json"]),
        )

    def _one(self, request: HttpRequest, queryset: QuerySet[Study]) -> Study | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one study to export.", level="warning")
            return None
        return queryset.get()

    @admin.action(description="Export the selected study as CSV files (zip)")
    def export_zip(self, request: HttpRequest, queryset: QuerySet[Study]) -> HttpResponse | None:
        study = self._one(request, queryset)
        return export_response(study, "zip") if study else None

    @admin.action(description="Export the selected study as JSON")
    def export_json(self, request: HttpRequest, queryset: QuerySet[Study]) -> HttpResponse | None:
        study = self._one(request, queryset)
        return export_response(study, "json") if study else None


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["participant", "user", "study", "condition", "enrolled_by", "joined_at"]
    list_filter = ["study", "condition"]
    search_fields = ["user__username", "study__title"]
    list_select_related = ["user", "study", "condition", "enrolled_by"]
    raw_id_fields = ["user", "enrolled_by"]
    readonly_fields = ["participant", "joined_at"]

    @admin.display(description="pseudonym")
    def participant(self, participant: Participant) -> str:
        return pseudonym(participant.user_id)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # Enrolling: staff pick the study and the user; the condition is assigned (balanced).
        if obj is None:
            kwargs["form"] = EnrolForm
            kwargs["fields"] = ["study", "user"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["study", "user"]
        return super().get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Participant, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        enrolled = services.participant_enrol(
            study=obj.study, user=obj.user, enrolled_by=request.user
        )
        obj.pk, obj.condition, obj.enrolled_by = enrolled.pk, enrolled.condition, request.user


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The interaction log, read-only: events are evidence and are never edited."""

    list_display = ["server_time", "type", "participant", "page", "client_time"]
    list_filter = ["type", "participant__study", "participant__condition"]
    search_fields = ["participant__user__username", "page"]
    list_select_related = ["participant__user", "participant__study"]
    date_hierarchy = "server_time"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(StudyExperiment)
class StudyExperimentAdmin(admin.ModelAdmin):
    list_display = ["experiment", "study", "condition", "participant"]
    list_filter = ["study", "condition"]
    list_select_related = ["experiment__owner", "study", "condition", "participant__user"]
    raw_id_fields = ["experiment", "participant"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
