"""Sweeps: many runs of one setup that differ in the seed and in one or two settings.

A ``Sweep`` keeps what was asked (the base settings, the varied settings' values, the number
of seeds); each of its runs is an ordinary ``Experiment`` (openable, comparable, exportable)
linked by a ``SweepMember`` row that says which seed and which values it stands for. A
sweep's state is read from its runs' states (see :func:`sweep_status`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models

from experiments.models import Experiment


class Sweep(models.Model):
    """One user's set of runs: a base configuration, the values to vary, N seeds."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sweeps"
    )
    number = models.PositiveIntegerField(help_text="The owner's own sweep counter: 1, 2, ...")
    name = models.CharField(max_length=80, blank=True, default="")
    config = models.JSONField(help_text="The base settings (RunConfig.to_dict), first seed.")
    vary = models.JSONField(default=dict, blank=True, help_text="{setting: [values, ...]}")
    seeds = models.PositiveIntegerField(help_text="How many seeds each combination runs with.")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "number"], name="sweep_unique_number"),
        ]

    def __str__(self) -> str:
        return f"sweep {self.number} of {self.owner}"

    @property
    def tag(self) -> str:
        """The tag every run of the sweep carries."""
        return f"sweep-{self.number}"


class SweepMember(models.Model):
    """One run of a sweep: its experiment, its place, its seed and its varied values."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="members")
    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, related_name="sweep_member"
    )
    position = models.PositiveIntegerField()
    seed = models.PositiveIntegerField()
    values = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its group was handed to the workers; empty while it waits its turn.",
    )

    class Meta:
        ordering = ["sweep", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sweep", "position"], name="sweep_member_unique_position"
            ),
        ]
        indexes = [models.Index(fields=["sent_at"], name="sweep_member_sent")]

    def __str__(self) -> str:
        return f"run {self.position + 1} of {self.sweep}"


STATUSES = ("queued", "running", "done", "cancelled")


def sweep_status(*, cancelled: bool, statuses: Iterable[str]) -> str:
    """``cancelled`` once cancelled; ``done`` when every run has finished; ``queued`` while
    none has started; ``running`` otherwise."""
    states = list(statuses)
    if cancelled:
        return "cancelled"
    if all(state in Experiment.FINISHED for state in states):
        return "done"
    if all(state == Experiment.Status.QUEUED for state in states):
        return "queued"
    return "running"
