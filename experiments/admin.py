"""The admin console (staff only) for runs: experiments and their results, images inline."""

from __future__ import annotations

import base64

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from experiments import services
from experiments.models import ClassResult, Experiment, clean_tags

# Twice the 28 pixels of an image: a whole multiple, so that each pixel stays a sharp square.
PREVIEW_SIZE = 2 * 28


def preview_img(data: bytes, title: str = "") -> str:
    """An inline <img> of PNG bytes: media files need not be served to show them here. It is
    styled by its class from static/css/admin.css (see ``ThumbnailAdmin``): the site's
    Content-Security-Policy blocks style attributes."""
    encoded = base64.b64encode(data).decode("ascii")
    return format_html(
        '<img src="data:image/png;base64,{}" class="thumbnail" width="{}" height="{}" '
        'alt="{}" title="{}">',
        encoded,
        PREVIEW_SIZE,
        PREVIEW_SIZE,
        title,
        title,
    )


class ThumbnailAdmin(admin.ModelAdmin):
    """An admin class whose pages show thumbnails: it loads the style sheet that draws them."""

    class Media:
        css = {"all": ["css/admin.css"]}


def _stored_png(field: object, title: str = "") -> str:
    try:
        with field.open("rb") as handle:  # type: ignore[attr-defined]
            return preview_img(handle.read(), title)
    except (FileNotFoundError, ValueError):
        return "(missing)"


class ClassResultInline(admin.TabularInline):
    model = ClassResult
    extra = 0
    can_delete = False
    fields = ["position", "name", "generated", "original", "r", "steps", "reached", "probability"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="generated")
    def generated(self, result: ClassResult) -> str:
        return _stored_png(result.image, f"generated {result.name}")

    @admin.display(description="original")
    def original(self, result: ClassResult) -> str:
        return _stored_png(result.template, result.name)


class ExperimentAdminForm(forms.ModelForm):
    """Staff correct the owner's tags with the rules the owner's pages read them by."""

    class Meta:
        model = Experiment
        fields = ["tags", "note"]

    def clean_tags(self) -> list[str]:
        try:
            return clean_tags(self.cleaned_data.get("tags"))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["tags"]) from None


@admin.register(Experiment)
class ExperimentAdmin(ThumbnailAdmin):
    form = ExperimentAdminForm
    list_display = [
        "id",
        "owner",
        "number",
        "model_name",
        "class_list",
        "status",
        "accuracy",
        "loss",
        "created_at",
        "duration",
        "images",
    ]
    list_filter = ["status", "model_name", "created_at"]
    search_fields = ["owner__username", "model_name", "error", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    # What a run was and what it computed is a record: staff cancel, re-run or delete, and
    # may correct the owner's tags and note; they do not edit results by hand. New
    # experiments come from the builder or the API, which validate and queue them.
    fieldsets = [
        (
            "Run",
            {
                "fields": [
                    "owner",
                    "number",
                    "kind",
                    "source",
                    "model_name",
                    "class_keys",
                    "seed",
                    "config",
                    "trained_on",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "progress",
                    "error",
                    "attempts",
                    "created_at",
                    "sent_at",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                ]
            },
        ),
        (
            "Results",
            {
                "fields": [
                    "accuracy",
                    "loss",
                    "val_accuracy",
                    "val_loss",
                    "test_accuracy",
                    "history",
                    "training",
                    "cross_r",
                    "timings",
                    "highlight_effects",
                    "highlight_baseline",
                    "weights_file",
                    "weights_sha256",
                ]
            },
        ),
        ("The owner's annotations", {"fields": ["tags", "note"]}),
    ]
    inlines = [ClassResultInline]
    actions = ["cancel_selected", "rerun_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        fields = [f.name for f in Experiment._meta.fields if f.name not in ("id", "tags", "note")]
        return [*fields, "weights_file"]

    @admin.display(description="weights")
    def weights_file(self, experiment: Experiment) -> str:
        # A name, not a link: media files are never served directly.
        return experiment.weights.name if experiment.weights else "(none)"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Experiment]:
        return super().get_queryset(request).prefetch_related("results")

    @admin.display(description="classes")
    def class_list(self, experiment: Experiment) -> str:
        return ", ".join(experiment.class_keys)

    @admin.display(description="time")
    def duration(self, experiment: Experiment) -> str:
        if experiment.started_at and experiment.finished_at:
            return f"{(experiment.finished_at - experiment.started_at).total_seconds():.1f} s"
        return ""

    @admin.display(description="generated images")
    def images(self, experiment: Experiment) -> str:
        return format_html_join(
            "", "{}", ((_stored_png(r.image, r.name),) for r in experiment.results.all())
        )

    @admin.action(description="Cancel the selected experiments if they are active")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Experiment]) -> None:
        cancelled = 0
        for experiment in queryset.filter(status__in=Experiment.ACTIVE).select_related("owner"):
            try:
                services.experiment_cancel(user=experiment.owner, experiment=experiment)
                cancelled += 1
            except services.ExperimentFinished:
                pass
        self.message_user(request, f"Cancelled {cancelled} experiments.")

    @admin.action(description="Re-run the selected experiments (same settings, for their owners)")
    def rerun_selected(self, request: HttpRequest, queryset: QuerySet[Experiment]) -> None:
        queued, refused = 0, []
        for experiment in queryset.select_related("owner"):
            try:
                services.experiment_rerun(user=experiment.owner, source=experiment)
                queued += 1
            except (services.TooManyActive, ValidationError) as error:
                reason = "; ".join(getattr(error, "messages", [str(error)]))
                refused.append(f"#{experiment.pk}: {reason}")
        self.message_user(request, f"Queued {queued} re-runs.")
        if refused:
            self.message_user(request, "Not re-run: " + " | ".join(refused), level="warning")


@admin.register(ClassResult)
class ClassResultAdmin(ThumbnailAdmin):
    list_display = ["experiment", "position", "name", "generated", "original", "r", "reached"]
    list_filter = ["reached", "class_key"]
    search_fields = ["class_key", "name", "experiment__owner__username"]
    list_select_related = ["experiment__owner"]
    # Computed by the worker with its experiment: shown, never edited or added by hand.
    fields = [
        "experiment",
        "position",
        "class_key",
        "name",
        "generated",
        "original",
        "r",
        "steps",
        "reached",
        "probability",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="generated")
    def generated(self, result: ClassResult) -> str:
        return _stored_png(result.image, f"generated {result.name}")

    @admin.display(description="original")
    def original(self, result: ClassResult) -> str:
        return _stored_png(result.template, result.name)
