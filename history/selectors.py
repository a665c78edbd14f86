"""Every read of the history, always on behalf of one user.

The history's rows are the user's experiments (``experiments.selectors.experiment_list``)
narrowed by ``experiments.filters.ExperimentFilterSet``, the filters the API's list shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Length
from django.http import Http404
from django.shortcuts import get_object_or_404

from experiments.models import ClassResult, Experiment
from history.models import SavedComparison
from models_zoo import shapes


def history_facets(*, user: AbstractBaseUser) -> dict[str, Any]:
    """Every model, class and tag among the user's experiments: the filters' choices, and
    under ``class_names`` the name a person knows each class key by."""
    models: set[str] = set()
    classes: set[str] = set()
    tags: set[str] = set()
    trained_by: dict[str, int] = {}  # a class key -> one experiment that trained on it
    for pk, model_name, class_keys, experiment_tags in Experiment.objects.filter(
        owner=user
    ).values_list("pk", "model_name", "class_keys", "tags"):
        models.add(model_name)
        classes.update(class_keys or [])
        tags.update(experiment_tags or [])
        for key in class_keys or []:
            trained_by.setdefault(key, pk)
    return {
        "models": sorted(models),
        "classes": sorted(classes),
        "tags": sorted(tags),
        "class_names": class_names(user=user, keys=classes, trained_by=trained_by),
    }


DRAWN_SUFFIX = " (yours)"


def class_names(
    *, user: AbstractBaseUser, keys: set[str], trained_by: Mapping[str, int]
) -> dict[str, str]:
    """A name for each class key: the catalogue's (``noise_blur`` is "Blurred noise"), or for
    a class the user drew (``drawn:12``) the name it had when last trained on, marked as the
    user's. Only drawn classes cost a query: their results hold the name, and a run that
    never finished its copy of the class (read only for those runs: it holds the pixels)."""
    names = {key: shapes.CATALOGUE[key].name for key in keys if key in shapes.CATALOGUE}
    missing = keys - names.keys()
    if missing:
        recorded = (
            ClassResult.objects.filter(experiment__owner=user, class_key__in=missing)
            .order_by("-experiment__created_at", "-experiment_id")
            .values_list("class_key", "name")
        )
        for key, name in recorded:
            names.setdefault(key, f"{name}{DRAWN_SUFFIX}")
    missing = keys - names.keys()
    if missing:
        runs = {trained_by[key] for key in missing if key in trained_by}
        for copies in Experiment.objects.filter(owner=user, pk__in=runs).values_list(
            "trained_on", flat=True
        ):
            for copy in copies or []:
                if isinstance(copy, dict) and copy.get("key") in missing and copy.get("name"):
                    names.setdefault(copy["key"], f"{copy['name']}{DRAWN_SUFFIX}")
    for key in keys - names.keys():
        names[key] = key
    # Two drawn classes may share a name: the key tells them apart.
    counts = Counter(names.values())
    return {key: f"{name} [{key}]" if counts[name] > 1 else name for key, name in names.items()}


def experiments_for_compare(*, user: AbstractBaseUser, ids: list[int]) -> list[Experiment]:
    """The user's experiments ``ids`` in that order, results and their snapshot sizes
    prefetched; a 404 when any of them is not the user's (or does not exist)."""
    results = (
        ClassResult.objects.defer("image_raw", "snapshots", "extras_raw")
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
