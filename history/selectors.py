"""Every read of the history, always on behalf of one user.

The history's rows are the user's experiments (``experiments.selectors.experiment_list``)
narrowed by ``experiments.filters.ExperimentFilterSet``, the filters the API's list shares.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Length
from django.http import Http404
from django.shortcuts import get_object_or_404

from experiments.models import ClassResult, Experiment
from history.models import SavedComparison


def history_facets(*, user: AbstractBaseUser) -> dict[str, list[str]]:
    """Every model, class and tag among the user's experiments: the filters' choices."""
    models: set[str] = set()
    classes: set[str] = set()
    tags: set[str] = set()
    for model_name, class_keys, experiment_tags in Experiment.objects.filter(
        owner=user
    ).values_list("model_name", "class_keys", "tags"):
        models.add(model_name)
        classes.update(class_keys or [])
        tags.update(experiment_tags or [])
    return {"models": sorted(models), "classes": sorted(classes), "tags": sorted(tags)}


def experiments_for_compare(*, user: AbstractBaseUser, ids: list[int]) -> list[Experiment]:
    """The user's experiments ``ids`` in that order, results and their snapshot sizes
    prefetched; a 404 when any of them is not the user's (or does not exist)."""
    results = (
        ClassResult.objects.defer("image_raw", "snapshots")
        .annotate(snapshot_bytes=Length("snapshots"))
        .order_by("position")
    )
    found = {
        experiment.pk: experiment
        for experiment in Experiment.objects.filter(owner=user, pk__in=ids)
        .defer("trained_on")
        .prefetch_related(Prefetch("results", queryset=results))
    }
    if len(found) != len(set(ids)):
        raise Http404("No such experiment.")
    return [found[pk] for pk in ids]


def snapshots_get(*, user: AbstractBaseUser, experiment_pk: int, position: int) -> bytes | None:
    """The stored snapshot frames (.npy bytes) of one of the user's results, or a 404."""
    result = get_object_or_404(
        ClassResult.objects.only("snapshots"),
        experiment__pk=experiment_pk,
        experiment__owner=user,
        position=position,
    )
    return None if result.snapshots is None else bytes(result.snapshots)


def saved_comparison_list(*, user: AbstractBaseUser) -> QuerySet[SavedComparison]:
    return SavedComparison.objects.filter(owner=user).order_by("-created_at", "-id")


def saved_comparison_get(*, user: AbstractBaseUser, pk: int) -> SavedComparison:
    return get_object_or_404(SavedComparison, pk=pk, owner=user)
