"""Every read of the experiment tables, always on behalf of one user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from experiments.models import ClassResult, Experiment


def experiment_list(*, user: AbstractBaseUser) -> QuerySet[Experiment]:
    """The user's experiments, newest first, with their results in one extra query and the
    number of the run each follow-up came from (``source_number``) in the same query."""
    results = ClassResult.objects.defer("image_raw", "snapshots", "extras_raw").order_by("position")
    return (
        Experiment.objects.filter(owner=user)
        .defer("trained_on")
        .annotate(source_number=F("source__number"))
        .prefetch_related(Prefetch("results", queryset=results))
        .order_by("-created_at", "-id")
    )


def experiment_get(*, user: AbstractBaseUser, pk: int) -> Experiment:
    """The user's experiment ``pk``; another user's experiment is a 404, as is a missing one."""
    return get_object_or_404(experiment_list(user=user), pk=pk)


def class_result_get(*, user: AbstractBaseUser, experiment_pk: int, position: int) -> ClassResult:
    """One result of one of the user's experiments, or a 404."""
    return get_object_or_404(
        ClassResult.objects.defer("image_raw", "snapshots", "extras_raw"),
        experiment__pk=experiment_pk,
        experiment__owner=user,
        position=position,
    )
