"""Query parameters that narrow the user's experiments, for the list and the exports."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request

from experiments import selectors
from experiments.models import Experiment


class ExperimentFilterSerializer(serializers.Serializer):
    """Query parameters of the experiment list and the exports; all optional, combined."""

    status = serializers.ChoiceField(choices=Experiment.Status.choices, required=False)
    model = serializers.CharField(required=False, max_length=40)
    tag = serializers.CharField(required=False, max_length=40)
    kind = serializers.ChoiceField(choices=Experiment.Kind.choices, required=False)
    created_after = serializers.DateField(required=False, help_text="On or after this day.")
    created_before = serializers.DateField(required=False, help_text="On or before this day.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # "class" is a Python keyword, so that field cannot be a class attribute.
        return {
            **super().get_fields(),
            "class": serializers.CharField(
                required=False, max_length=64, help_text="Experiments trained on this class key."
            ),
        }


def _json_list_has(queryset: QuerySet[Experiment], field: str, value: str) -> QuerySet:
    """Rows whose JSON list ``field`` holds the string ``value``."""
    if connection.features.supports_json_field_contains:
        return queryset.filter(**{f"{field}__contains": [value]})
    # SQLite keeps JSON as text: match the quoted item, then confirm in Python.
    candidates = queryset.filter(**{f"{field}__icontains": json.dumps(value)})
    ids = [pk for pk, items in candidates.values_list("pk", field) if value in (items or [])]
    return queryset.filter(pk__in=ids)


def filtered_experiments(request: Request) -> QuerySet[Experiment]:
    """The user's experiments narrowed by the query parameters; a bad one raises a 400."""
    filters = ExperimentFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    data = filters.validated_data
    queryset = selectors.experiment_list(user=request.user)
    if "status" in data:
        queryset = queryset.filter(status=data["status"])
    if "model" in data:
        queryset = queryset.filter(model_name=data["model"])
    if "kind" in data:
        queryset = queryset.filter(kind=data["kind"])
    if "created_after" in data:
        queryset = queryset.filter(created_at__date__gte=data["created_after"])
    if "created_before" in data:
        queryset = queryset.filter(created_at__date__lte=data["created_before"])
    if "class" in data:
        queryset = _json_list_has(queryset, "class_keys", data["class"])
    if "tag" in data:
        queryset = _json_list_has(queryset, "tags", data["tag"])
    return queryset
