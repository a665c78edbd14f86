"""The history's own table: named comparisons of a user's experiments.

Tags and notes are columns of the experiment itself (``Experiment.tags``, ``.note``); this
app owns how they are written (:mod:`history.services`) and read (:mod:`history.selectors`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedComparison(models.Model):
    """A named comparison of some of one user's experiments, with the page's options."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_comparisons"
    )
    name = models.CharField(max_length=80)
    experiment_ids = models.JSONField(help_text="The compared experiments' ids, in column order.")
    options = models.JSONField(default=dict, blank=True, help_text="Base column, all settings.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The table keeps the name it had when comparisons lived in the experiments app.
        db_table = "experiments_savedcomparison"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="saved_comparison_owner")]

    def __str__(self) -> str:
        return self.name
