"""API additions: list filters, delete, re-run, re-visualize, raw result arrays, exports.

Every queryset is the requesting user's own (through the selectors); another user's
experiment is a 404. The endpoints that start work are throttled per user and count
against MAX_ACTIVE_EXPERIMENTS like any new experiment (429 with the reason).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from experiments import revisualize, selectors, services
from experiments.api.errors import bad_request
from experiments.api.serializers import ExperimentSerializer
from experiments.models import ClassResult, Experiment

DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})
# {field: [message, ...]}; a nested field (an item of a list) has its own errors inside.
FIELD_ERRORS = OpenApiResponse(
    description="Invalid input: each key names a field, with the messages about it",
    response={"type": "object", "additionalProperties": {}},
)
TOO_MANY = OpenApiResponse(response=DETAIL, description="Throttled, or too many active runs")


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


def _created(request: Request, experiment: Experiment) -> Response:
    experiment = selectors.experiment_get(user=request.user, pk=experiment.pk)
    return Response(ExperimentSerializer(experiment).data, status=status.HTTP_201_CREATED)


class RerunSerializer(serializers.Serializer):
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**31 - 1,
        help_text="A new seed; omitted or null keeps the source's seed.",
    )


class ExperimentRerunView(APIView):
    """Queues a new experiment with the same settings and class images, optionally a new seed."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_create"

    @extend_schema(
        request=RerunSerializer,
        responses={201: ExperimentSerializer, 400: FIELD_ERRORS, 404: DETAIL, 429: TOO_MANY},
    )
    def post(self, request: Request, pk: int) -> Response:
        source = selectors.experiment_get(user=request.user, pk=pk)
        body = RerunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            experiment = revisualize.experiment_rerun(
                user=request.user, source=source, seed=body.validated_data.get("seed")
            )
        except ValidationError as error:
            return bad_request(error)
        except services.TooManyActive as error:
            return Response({"detail": str(error)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        return _created(request, experiment)


class RevisualizeSerializer(serializers.Serializer):
    """Image-generation settings; those omitted keep the source's values."""

    initial_image = serializers.ChoiceField(
        choices=["black", "white", "noise", "noise_blur"], required=False
    )
    step_size = serializers.FloatField(required=False)
    objective = serializers.ChoiceField(choices=["probability", "logit"], required=False)
    threshold = serializers.FloatField(required=False)
    max_steps = serializers.IntegerField(required=False)
    clip = serializers.BooleanField(required=False)
    l2 = serializers.FloatField(required=False)
    tv = serializers.FloatField(required=False)
    blur_every = serializers.IntegerField(required=False)
    jitter = serializers.IntegerField(required=False)
    snapshot_every = serializers.IntegerField(required=False)
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            unknown = [key for key in data if key not in self.fields]
            if unknown:
                message = "a re-visualization changes only image settings: " + ", ".join(
                    self.fields
                )
                raise serializers.ValidationError({str(unknown[0]): [message]})
        return super().to_internal_value(data)


class ExperimentRevisualizeView(APIView):
    """Queues new images from a finished experiment's stored weights, without retraining.

    The result is a new experiment (kind ``revisualize``, ``source`` = this one). 409 when the
    source is not finished or its weights file is missing or fails its SHA-256 check.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_revisualize"

    @extend_schema(
        request=RevisualizeSerializer,
        responses={
            201: ExperimentSerializer,
            400: FIELD_ERRORS,
            404: DETAIL,
            409: DETAIL,
            429: TOO_MANY,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        source = selectors.experiment_get(user=request.user, pk=pk)
        body = RevisualizeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            experiment = revisualize.experiment_revisualize(
                user=request.user, source=source, changes=body.validated_data
            )
        except ValidationError as error:
            return bad_request(error)
        except revisualize.NotRevisualizable as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except services.TooManyActive as error:
            return Response({"detail": str(error)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        return _created(request, experiment)


def _raw(request: Request, pk: int, position: int) -> np.ndarray:
    result = selectors.class_result_get(user=request.user, experiment_pk=pk, position=position)
    raw = ClassResult.objects.filter(pk=result.pk).values_list("image_raw", flat=True).get()
    return np.load(io.BytesIO(bytes(raw)), allow_pickle=False)


class ResultArrayView(APIView):
    """The generated image of one class as raw numbers (unscaled float32), as JSON."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "ResultArray",
                {
                    "shape": serializers.ListField(child=serializers.IntegerField()),
                    "dtype": serializers.CharField(),
                    "values": serializers.ListField(
                        child=serializers.ListField(child=serializers.FloatField())
                    ),
                },
            ),
            404: DETAIL,
        }
    )
    def get(self, request: Request, pk: int, position: int) -> Response:
        array = _raw(request, pk, position)
        return Response(
            {"shape": list(array.shape), "dtype": str(array.dtype), "values": array.tolist()}
        )


class ResultNpyView(APIView):
    """The generated image of one class as a NumPy ``.npy`` file (float32, 28x28)."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="NumPy .npy file"
            ),
            404: DETAIL,
        }
    )
    def get(self, request: Request, pk: int, position: int) -> HttpResponse:
        buffer = io.BytesIO()
        np.save(buffer, _raw(request, pk, position), allow_pickle=False)
        response = HttpResponse(buffer.getvalue(), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="experiment-{pk}-{position}.npy"'
        return response


EXPORT_COLUMNS = [
    "experiment_id",
    "number",
    "kind",
    "source_id",
    "status",
    "model",
    "classes",
    "tags",
    "seed",
    "config",
    "accuracy",
    "loss",
    "val_accuracy",
    "val_loss",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "position",
    "class",
    "class_name",
    "r",
    "steps",
    "reached",
    "probability",
]


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def experiment_rows(experiments: QuerySet[Experiment]) -> list[dict[str, Any]]:
    """One row per class result (an experiment without results gives one row of its own)."""
    rows = []
    for experiment in experiments:
        base = {
            "experiment_id": experiment.pk,
            "number": experiment.number,
            "kind": experiment.kind,
            "source_id": experiment.source_id or "",
            "status": experiment.status,
            "model": experiment.model_name,
            "classes": " ".join(experiment.class_keys),
            "tags": " ".join(experiment.tags),
            "seed": experiment.seed,
            "config": json.dumps(experiment.config, sort_keys=True),
            "accuracy": experiment.accuracy,
            "loss": experiment.loss,
            "val_accuracy": experiment.val_accuracy,
            "val_loss": experiment.val_loss,
            "error": experiment.error,
            "created_at": _iso(experiment.created_at),
            "started_at": _iso(experiment.started_at),
            "finished_at": _iso(experiment.finished_at),
        }
        results = list(experiment.results.all())
        if not results:
            rows.append(base)
        for result in results:
            rows.append(
                {
                    **base,
                    "position": result.position,
                    "class": result.class_key,
                    "class_name": result.name,
                    "r": result.r,
                    "steps": result.steps,
                    "reached": result.reached,
                    "probability": result.probability,
                }
            )
    return rows


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if row.get(key) is None else row.get(key) for key in columns})
    return out.getvalue()


class ExperimentExportCsvView(APIView):
    """The user's experiments (the list's filters apply) as CSV, one row per class result."""

    @extend_schema(
        parameters=[ExperimentFilterSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="CSV"),
            400: FIELD_ERRORS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        text = csv_text(EXPORT_COLUMNS, experiment_rows(filtered_experiments(request)))
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="experiments.csv"'
        return response


class ExperimentExportJsonView(APIView):
    """The user's experiments (the list's filters apply) as one JSON list, unpaginated."""

    @extend_schema(
        parameters=[ExperimentFilterSerializer],
        responses={200: ExperimentSerializer(many=True), 400: FIELD_ERRORS},
    )
    def get(self, request: Request) -> Response:
        data = ExperimentSerializer(filtered_experiments(request), many=True).data
        response = Response(data)
        response["Content-Disposition"] = 'attachment; filename="experiments.json"'
        return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for the whole site: JSON under /api/ (a route that does not match, e.g. a
    non-numeric id), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
