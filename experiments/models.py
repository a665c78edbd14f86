"""Tables of runs: experiments and each class's result.

An ``Experiment`` row records its own state (queued -> running -> done | failed | cancelled)
so that a page, the admin and a worker on another machine all read the same truth. It keeps
a copy of the class images it trained on, so deleting or redrawing a class later changes
nothing about a finished experiment.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

IMAGE_SIZE = 28


def clean_grid(value: Any, *, field: str) -> list[list[float]]:
    """A 28x28 nested list of finite numbers in [0, 1], or a ValidationError naming ``field``
    and what is wrong: the grid's size, a non-number, a NaN or an out-of-range value."""
    if not isinstance(value, list):
        raise ValidationError({field: [f"send {IMAGE_SIZE} rows of {IMAGE_SIZE} numbers"]})
    if len(value) != IMAGE_SIZE:
        message = f"must be {IMAGE_SIZE} rows of {IMAGE_SIZE} numbers, not {len(value)} rows"
        raise ValidationError({field: [message]})
    rows: list[list[float]] = []
    for index, row in enumerate(value):
        if not isinstance(row, list) or len(row) != IMAGE_SIZE:
            size = len(row) if isinstance(row, list) else "not a list"
            message = f"row {index} must hold {IMAGE_SIZE} numbers ({size})"
            raise ValidationError({field: [message]})
        cleaned: list[float] = []
        for pixel in row:
            if isinstance(pixel, bool) or not isinstance(pixel, int | float):
                message = f"row {index} holds {pixel!r}, which is not a number"
                raise ValidationError({field: [message]})
            # A whole number is always finite, and may be too large for float(): compare it
            # as it is, and never format it as a float.
            if isinstance(pixel, float) and not math.isfinite(pixel):
                message = f"row {index} holds a value that is not a finite number"
                raise ValidationError({field: [message]})
            if not 0.0 <= pixel <= 1.0:
                shown = f"{pixel:g}" if abs(pixel) < 1e15 else "a number that large"
                message = f"row {index} holds {shown}: every value must lie in [0, 1]"
                raise ValidationError({field: [message]})
            cleaned.append(float(pixel))
        rows.append(cleaned)
    return rows


def validate_pixels(value: Any) -> None:
    """The model field validator of a 28x28 grid in [0, 1] (see :func:`clean_grid`)."""
    try:
        clean_grid(value, field="pixels")
    except ValidationError as error:
        raise ValidationError(error.message_dict["pixels"]) from None


# An owner's tags: lowercase words of letters, digits, - and _. The rules live beside the
# column so that every way of writing it (the API, the history page, the admin) checks them.
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_TAGS = 10


def clean_tags(tags: Any) -> list[str]:
    """Tags as stored: lowercase words of letters, digits, - and _, each once, in order."""
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError({"tags": ["Send the tags as a list of words."]})
    cleaned: list[str] = []
    for tag in tags:
        word = tag.strip().lower()
        if not TAG_PATTERN.match(word):
            message = (
                f"{tag!r} is not a tag: use up to 32 letters, digits, - or _, "
                "starting with a letter or digit"
            )
            raise ValidationError({"tags": [message]})
        if word not in cleaned:
            cleaned.append(word)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": [f"use at most {MAX_TAGS} tags, not {len(cleaned)}"]})
    return cleaned


def validate_tags(value: Any) -> None:
    """The model field validator of ``Experiment.tags`` (see :func:`clean_tags`)."""
    try:
        cleaned = clean_tags(value)
    except ValidationError as error:
        raise ValidationError(error.message_dict["tags"]) from None
    if cleaned != value:
        raise ValidationError("tags must be stored as clean_tags returns them", code="unclean")


class Experiment(models.Model):
    """One train-and-visualize run of one user, from the queue to its results."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        TRAIN = "train", "Trained"
        REVISUALIZE = "revisualize", "Re-visualized from stored weights"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="experiments"
    )
    number = models.PositiveIntegerField(help_text="The owner's own run counter: 1, 2, 3, ...")
    config = models.JSONField(help_text="The validated run configuration (RunConfig.to_dict).")
    model_name = models.CharField(max_length=40)
    class_keys = models.JSONField(default=list)
    trained_on = models.JSONField(
        default=list,
        help_text="A copy of every class as it was trained on: key, name, noise, pixels.",
    )
    seed = models.PositiveIntegerField()

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task was last handed to the queue broker."
    )
    attempts = models.PositiveIntegerField(default=0)
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    accuracy = models.FloatField(null=True, blank=True)
    loss = models.FloatField(null=True, blank=True)
    val_accuracy = models.FloatField(null=True, blank=True)
    val_loss = models.FloatField(null=True, blank=True)
    test_accuracy = models.FloatField(
        null=True,
        blank=True,
        help_text="Accuracy on the dataset's held-out test images; empty without a test set.",
    )
    history = models.JSONField(default=dict, blank=True)
    training = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per-class accuracy, confusion matrix, epochs run, and the same on test images.",
    )
    cross_r = models.JSONField(default=list, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    weights = models.FileField(upload_to="weights/", blank=True)
    weights_sha256 = models.CharField(max_length=64, blank=True, default="")
    stored_bytes = models.PositiveBigIntegerField(
        default=0, help_text="What its results take in storage: images, snapshots, weights."
    )
    tags = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_tags],
        help_text="The owner's labels: short lowercase words.",
    )
    note = models.TextField(blank=True, default="", help_text="The owner's free-text note.")
    # A re-run or a re-visualization points at the experiment it came from. A re-visualization
    # loads that experiment's stored weights and only generates new images with its own
    # image settings: it is a row of its own, so its results sit beside the source's.
    kind = models.CharField(
        max_length=12, choices=Kind.choices, default=Kind.TRAIN, help_text="How it was made."
    )
    source = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="derived",
        help_text="The experiment this one re-runs or re-visualizes.",
    )

    # What semantic highlighting did, per class with a red region (the ML core's RegionEffect:
    # key, area_share, energy_share, saliency_share), and the same experiment run again with
    # highlighting off and the same seed, when the owner asked for that comparison.
    highlight_effects = models.JSONField(default=list, blank=True)
    highlight_baseline = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The same settings and seed with highlighting off, for comparison.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "number"], name="experiment_unique_number"),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="experiment_owner_created"),
            models.Index(fields=["status", "heartbeat_at"], name="experiment_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.model_name} of {self.owner}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


def _result_path(instance: ClassResult, filename: str) -> str:
    return f"results/{instance.experiment_id}/{filename}"


class ClassResult(models.Model):
    """What one class of a finished experiment looks like to its model."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField(help_text="The class's rank in the experiment.")
    class_key = models.CharField(max_length=64)
    name = models.CharField(max_length=80)
    image = models.FileField(upload_to=_result_path, help_text="Generated image, 28x28 PNG.")
    image_raw = models.BinaryField(help_text="Generated image as raw float32 .npy bytes.")
    template = models.FileField(upload_to=_result_path, help_text="The clean class image, PNG.")
    r = models.FloatField(null=True, blank=True, help_text="|Pearson r|; empty when undefined.")
    steps = models.PositiveIntegerField()
    reached = models.BooleanField(help_text="Whether the threshold was reached within the cap.")
    probability = models.FloatField()
    snapshots = models.BinaryField(
        null=True, blank=True, help_text="Images along the way as .npy bytes (k, 28, 28)."
    )
    # With the run's ``diversity`` K > 1, the class's other K-1 images: their figures (r,
    # steps, reached, probability, start) in order, and the images themselves as one array,
    # kept in the row like ``image_raw`` so no file can outlive it.
    extras = models.JSONField(
        default=list, blank=True, help_text="The other generated images' figures, in order."
    )
    extras_raw = models.BinaryField(
        null=True, blank=True, help_text="The other generated images as .npy bytes (K-1, 28, 28)."
    )

    class Meta:
        ordering = ["experiment", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "position"], name="class_result_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} in {self.experiment}"
