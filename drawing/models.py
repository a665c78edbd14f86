"""Users' own classes and highlights.

A drawn class is a 28x28 image in [0, 1], light shape on a dark background like the built-in
catalogue, stored per user under a name unique to that user; run configurations name it
``drawn:<id>``. A highlight is a yellow mask (relevant: the class itself) and a red mask (not
part of the class) on one class image, catalogue or drawn, saved per user and class.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from experiments.models import validate_pixels


class ShapeClass(models.Model):
    """A class image a user drew (or, with no owner, one kept beside the built-in catalogue)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shape_classes",
        help_text="Empty for classes every user can see.",
    )
    key = models.SlugField(max_length=64, help_text="Stable name used in run configurations.")
    name = models.CharField(max_length=80)
    pixels = models.JSONField(
        validators=[validate_pixels], help_text="28 rows of 28 numbers in [0, 1]."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table keeps the name it had when drawn classes lived in the experiments app.
        db_table = "experiments_shapeclass"
        ordering = ["name"]
        verbose_name = "drawn class"
        verbose_name_plural = "drawn classes"
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="shape_class_unique_name"),
            models.UniqueConstraint(fields=["owner", "key"], name="shape_class_unique_key"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(owner__isnull=True),
                name="shape_class_unique_shared_name",
            ),
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(owner__isnull=True),
                name="shape_class_unique_shared_key",
            ),
        ]
        indexes = [models.Index(fields=["owner", "created_at"], name="shape_class_owner_created")]

    def __str__(self) -> str:
        return self.name


class Highlight(models.Model):
    """One user's semantic highlight of one class image: a yellow mask (relevant: the class
    itself) and a red mask (not part of the class), each 28x28 of 0s and 1s.

    ``class_ref`` names the class as a run configuration does: a catalogue key such as ``box``
    or ``drawn:<id>`` for one of the owner's drawn classes (then ``shape_class`` points at it,
    so the highlight goes when the class does).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="highlights"
    )
    class_ref = models.CharField(max_length=64)
    shape_class = models.ForeignKey(
        ShapeClass, on_delete=models.CASCADE, null=True, blank=True, related_name="highlights"
    )
    relevant = models.JSONField(validators=[validate_pixels], help_text="The yellow mask.")
    irrelevant = models.JSONField(validators=[validate_pixels], help_text="The red mask.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "experiments_highlight"
        ordering = ["class_ref"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "class_ref"], name="highlight_unique_class"),
        ]

    def __str__(self) -> str:
        return f"Highlight of {self.class_ref} by {self.owner}"
