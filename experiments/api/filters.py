"""The list filters in the runs' API: every view of the user's experiments that takes them
filters with ``DjangoFilterBackend`` and ``experiments.filters.ExperimentFilterSet``, so the
list, its exports and the history's API speak one filter language (and the schema says so)."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

from experiments import selectors
from experiments.filters import ExperimentFilterSet
from experiments.models import Experiment


class FilteredExperimentsMixin:
    """For generic views of the user's experiments narrowed by the query string; a bad
    value is a 400 naming its parameter. ``self.filter_queryset(self.get_queryset())``
    gives the rows (a list view does it by itself)."""

    request: Request
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExperimentFilterSet
    # Only the schema reads this (for the filters' model); requests go through get_queryset.
    queryset = Experiment.objects.none()

    def get_queryset(self) -> QuerySet[Experiment]:
        return selectors.experiment_list(user=self.request.user)
