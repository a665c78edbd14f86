"""Every read of the history, always on behalf of one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Length
from django.http import Http404
from django.shortcuts import get_object_or_404

from experiments.models import ClassResult, Experiment
from experiments.selectors import experiment_list
from history.models import SavedComparison


@dataclass(frozen=True)
class HistoryFilters:
    """What the history page narrows the user's experiments to; None means no filter."""

    model: str | None = None
    class_key: str | None = None
    tag: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    oldest_first: bool = False


def _json_list_has(field: str, value: str) -> Q:
    """Whether a JSON list of slugs holds ``value``, as a text match on the stored JSON that
    works alike on SQLite and PostgreSQL. Slugs and tags never hold quotes, so ``"box"``
    cannot match ``"box_hollow"``."""
    return Q(**{f"{field}__icontains": f'"{value}"'})


def experiment_history(*, user: AbstractBaseUser, filters: HistoryFilters) -> QuerySet[Experiment]:
    """The user's experiments narrowed by ``filters``, results prefetched in one query."""
    experiments = experiment_list(user=user)
    if filters.model:
        experiments = experiments.filter(model_name=filters.model)
    if filters.status:
        experiments = experiments.filter(status=filters.status)
    if filters.class_key:
        experiments = experiments.filter(_json_list_has("class_keys", filters.class_key))
    if filters.tag:
        experiments = experiments.filter(_json_list_has("tags", filters.tag))
    if filters.date_from:
        experiments = experiments.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        experiments = experiments.filter(created_at__date__lte=filters.date_to)
    if filters.oldest_first:
        experiments = experiments.order_by("created_at", "id")
    return experiments


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
