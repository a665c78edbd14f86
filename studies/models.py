"""Tables of an evaluation study: the study, its conditions, participants, events, and the
link that tags an experiment with the study and condition it was run under."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from experiments.models import Experiment
from experiments.text import clean_text

# A study's tasks: at most this many, each at most this long (the API and the admin alike).
MAX_TASKS = 100
MAX_TASK_LENGTH = 2000

EVENT_TYPES = (
    ("page_view", "Page viewed"),
    ("time_on_page", "Time spent on a page"),
    ("classes_selected", "Classes selected"),
    ("drawing_saved", "Drawing saved"),
    ("highlight_painted", "Highlight painted"),
    ("run_started", "Run started"),
    ("comparison_opened", "Comparison opened"),
    ("task_started", "Task started"),
    ("task_finished", "Task finished"),
    ("custom", "Other"),
)


def new_invite_code() -> str:
    """Ten characters from an alphabet without look-alikes, easy to read out or type."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def new_seed() -> int:
    return secrets.randbelow(2**31)


class Study(models.Model):
    """A study run by staff: participants join it and each is given one of its conditions."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    tasks = models.JSONField(
        default=list, blank=True, help_text="What participants are asked to do, in order."
    )
    invite_code = models.CharField(max_length=20, unique=True, default=new_invite_code)
    is_open = models.BooleanField(
        default=True, help_text="Participants can join, and their experiments are tagged."
    )
    assignment_seed = models.PositiveIntegerField(
        default=new_seed, help_text="Orders the conditions when several are equally filled."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="studies_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Shown to participants and staff: no invisible or bidirectional control characters.
        clean_text(self.title, field="title")
        clean_text(self.description, field="description", multiline=True)
        for task in self.tasks if isinstance(self.tasks, list) else []:
            clean_text(task, field="tasks")


class Condition(models.Model):
    """What participants in one arm of a study may use."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="conditions")
    name = models.CharField(max_length=80)
    allowed_models = models.JSONField(
        default=list, blank=True, help_text="Model names a run may use; empty allows every model."
    )
    highlighting = models.BooleanField(
        default=True, help_text="Whether semantic highlighting may be used."
    )
    drawing = models.BooleanField(
        default=True, help_text="Whether the participant's own drawn classes may be used."
    )

    class Meta:
        ordering = ["study", "id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="condition_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.study})"

    def clean(self) -> None:
        clean_text(self.name, field="name")  # as the study's title (Study.clean)

    def rules(self) -> dict[str, object]:
        """What a page needs to know to enforce this condition."""
        return {
            "id": self.pk,
            "name": self.name,
            "allowed_models": list(self.allowed_models),
            "highlighting": self.highlighting,
            "drawing": self.drawing,
        }


class Participant(models.Model):
    """A user taking part in a study, under one condition. A user is in one open study at most
    at a time, so every experiment they start belongs to exactly one study."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    condition = models.ForeignKey(Condition, on_delete=models.RESTRICT, related_name="participants")
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who enrolled them; empty when they joined with the code.",
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="participant_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.study}"


class Event(models.Model):
    """One thing a participant did in the web UI. Append-only: never updated or deleted by
    participants; the client's clock and the server's are both kept."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, choices=EVENT_TYPES)
    page = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    client_time = models.DateTimeField()
    server_time = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["server_time", "id"]
        indexes = [models.Index(fields=["participant", "server_time"], name="event_participant")]

    def __str__(self) -> str:
        return f"{self.type} by {self.participant}"


class StudyExperiment(models.Model):
    """Tags an experiment with the study and condition its owner was in when starting it."""

    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, related_name="study_link"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="experiments"
    )
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="experiments")
    condition = models.ForeignKey(Condition, on_delete=models.RESTRICT, related_name="experiments")

    class Meta:
        ordering = ["experiment"]

    def __str__(self) -> str:
        return f"{self.experiment} in {self.study} / {self.condition.name}"
