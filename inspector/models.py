"""What the worker computes inside a finished run's model and keeps: attribution maps.

A row is made by the request that first asks for a map (``pending``) and filled in by the
worker's task (``done``, with the map, or ``failed``, with a message). Its request key is
unique, so a map is asked of the worker once however often a page asks for it. Rows only: a
28 x 28 map is small enough to live in the database, and goes with its run (CASCADE).
"""

from __future__ import annotations

from django.db import models

from experiments.models import Experiment
from models_zoo.attribution import METHODS

# The image a map explains when none is named: the class's own template.
TEMPLATE_IMAGE = "template"


class AttributionMap(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="attribution_maps"
    )
    class_key = models.CharField(max_length=100)
    method = models.CharField(max_length=32, choices=[(m, m) for m in METHODS])
    # "template", or the index of a training image as text.
    image = models.CharField(max_length=16, default=TEMPLATE_IMAGE)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # 28 rows of 28 numbers once done.
    values = models.JSONField(null=True, blank=True)
    # The explained image's 28 rows of 28 pixels (0 to 1, 4 decimals) once done: a training
    # image is served nowhere else. Null for a map stored before they were kept.
    pixels = models.JSONField(null=True, blank=True)
    # The key of the class the explained image belongs to (a training image's label).
    image_class = models.CharField(max_length=100, blank=True)
    # A failure: the request field it is about ("image" for an index past the training
    # set), or empty for one that is no fault of the request; and the message.
    error_field = models.CharField(max_length=16, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the task was last sent: a pending row left long after it is sent again.
    queued_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "class_key", "method", "image"],
                name="one_attribution_map_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} of {self.class_key} on {self.image} ({self.status})"


class UnitImages(models.Model):
    """The images that most excite each unit of one layer of a run's model (activation
    maximization), and for the first weighted layer its weights as images."""

    Status = AttributionMap.Status

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="unit_images")
    # The layer's name as ``inspector.services.unit_layers`` gives it ("dense_1", "logits").
    layer = models.CharField(max_length=32)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(max_length=8, blank=True)  # "dense" or "conv"
    # One 28 x 28 image per unit once done; the first layer's weights (or null).
    images = models.JSONField(null=True, blank=True)
    weights = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["experiment", "layer"], name="one_unit_set_per_layer")
        ]

    def __str__(self) -> str:
        return f"units of {self.layer} ({self.status})"
