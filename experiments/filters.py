"""One filter language for a user's experiments.

``ExperimentFilterSet`` narrows and orders them from a query string: the API's experiment
list and its exports, the history's API and the history page all use it, so a filter has one
name and one meaning everywhere. Every filter is optional; an empty value means "any".
"""

from __future__ import annotations

import copy
import json
from typing import Any

import django_filters
from django import forms
from django.db import connection
from django.db.models import QuerySet
from drf_spectacular.contrib.django_filters import DjangoFilterExtension

from experiments.models import Experiment
from models_zoo import datasets

ORDERS = [("newest", "Newest first"), ("oldest", "Oldest first")]

# Names the history's API used before the filters were one: still accepted, and marked
# deprecated in the API's schema. Each behaves exactly as the filter it stands for.
DEPRECATED_ALIASES = {"from": "created_after", "to": "created_before"}


def json_list_has(queryset: QuerySet[Experiment], field: str, value: str) -> QuerySet[Experiment]:
    """Rows whose JSON list ``field`` holds the string ``value`` (a whole item, not a part)."""
    if connection.features.supports_json_field_contains:
        return queryset.filter(**{f"{field}__contains": [value]})
    # SQLite keeps JSON as text: match the quoted item, then confirm in Python.
    candidates = queryset.filter(**{f"{field}__icontains": json.dumps(value)})
    ids = [pk for pk, items in candidates.values_list("pk", field) if value in (items or [])]
    return queryset.filter(pk__in=ids)


def _given(cleaned: dict[str, Any], name: str) -> tuple[str, Any] | None:
    """The query name and value of filter ``name`` as the client sent it, alias or not."""
    names = [name, *(alias for alias, target in DEPRECATED_ALIASES.items() if target == name)]
    return next(((n, cleaned[n]) for n in names if cleaned.get(n) is not None), None)


class ExperimentFilterForm(forms.Form):
    """The filter set's form: each field is a filter; a reversed date range is an error."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = _given(cleaned, "created_after"), _given(cleaned, "created_before")
        if start and end and end[1] < start[1]:
            self.add_error(end[0], "The end date comes before the start date.")
        return cleaned


class ExperimentFilterSet(django_filters.FilterSet):
    """Filters and order of a user's experiments; the queryset given is already the user's."""

    status = django_filters.ChoiceFilter(choices=Experiment.Status.choices)
    model = django_filters.CharFilter(field_name="model_name", max_length=40)
    tag = django_filters.CharFilter(method="filter_tag", max_length=40)
    kind = django_filters.ChoiceFilter(choices=Experiment.Kind.choices)
    dataset = django_filters.ChoiceFilter(
        choices=[(key, info.title) for key, info in datasets.DATASETS.items()],
        method="filter_dataset",
        help_text="Runs on this dataset's classes (shapes: the catalogue and drawn classes).",
    )
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", help_text="On or after this day."
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", help_text="On or before this day."
    )
    order = django_filters.ChoiceFilter(
        choices=ORDERS, method="filter_order", help_text="By creation time; newest by default."
    )

    class Meta:
        form = ExperimentFilterForm

    @classmethod
    def get_filters(cls) -> dict[str, django_filters.Filter]:
        filters = super().get_filters()
        # "class" is a Python keyword, so that filter cannot be a class attribute.
        filters["class"] = django_filters.CharFilter(
            method="filter_class", max_length=64, help_text="Experiments trained on this class key."
        )
        for alias, name in DEPRECATED_ALIASES.items():
            filters[alias] = copy.deepcopy(filters[name])
            filters[alias].extra["help_text"] = f"Deprecated: use {name}."
            filters[alias].replaced_by = name
        return filters

    def filter_class(self, queryset: QuerySet[Experiment], name: str, value: str) -> QuerySet:
        return json_list_has(queryset, "class_keys", value)

    def filter_tag(self, queryset: QuerySet[Experiment], name: str, value: str) -> QuerySet:
        # Tags are stored in lowercase: "Paper" finds the runs tagged paper.
        return json_list_has(queryset, "tags", value.lower())

    def filter_dataset(self, queryset: QuerySet[Experiment], name: str, value: str) -> QuerySet:
        # A run's classes are of one dataset, and a dataset's class keys start "<dataset>:"
        # (as stored, a JSON list: '["digits:3", ...'). Shapes are the runs of no other.
        others = [key for key in datasets.DATASETS if key != "shapes"]
        if value in others:
            return queryset.filter(class_keys__icontains=f'"{value}:')
        for other in others:
            queryset = queryset.exclude(class_keys__icontains=f'"{other}:')
        return queryset

    def filter_order(self, queryset: QuerySet[Experiment], name: str, value: str) -> QuerySet:
        if value == "oldest":
            return queryset.order_by("created_at", "id")
        return queryset.order_by("-created_at", "-id")


class ExperimentFilterExtension(DjangoFilterExtension):
    """The filters' parameters in the API's schema as drf-spectacular writes them, plus what
    it leaves out: a text filter's length limit, and which names are deprecated aliases."""

    priority = 1

    def resolve_filter_field(
        self,
        auto_schema: Any,
        model: Any,
        filterset_class: Any,
        field_name: str,
        filter_field: django_filters.Filter,
    ) -> list[dict[str, Any]]:
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            if "max_length" in filter_field.extra:
                parameter["schema"]["maxLength"] = filter_field.extra["max_length"]
            if getattr(filter_field, "replaced_by", None):
                parameter["deprecated"] = True
        return parameters
