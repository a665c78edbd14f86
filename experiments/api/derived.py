"""Endpoints on a finished run: re-run, re-visualize, raw result arrays, exports.

Every queryset is the requesting user's own (through the selectors); another user's
experiment is a 404. The endpoints that start work are throttled per user and count
against MAX_ACTIVE_EXPERIMENTS like any new experiment (429 with the reason).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from experiments import selectors, services
from experiments.api.errors import bad_request
from experiments.api.filters import ExperimentFilterSerializer, filtered_experiments
from experiments.api.schema import DETAIL, FIELD_ERRORS, TOO_MANY
from experiments.api.serializers import ExperimentSerializer
from experiments.exports import EXPORT_COLUMNS, csv_text, experiment_rows
from experiments.models import ClassResult, Experiment


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
            experiment = services.experiment_rerun(
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
            experiment = services.experiment_revisualize(
                user=request.user, source=source, changes=body.validated_data
            )
        except ValidationError as error:
            return bad_request(error)
        except services.NotRevisualizable as error:
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
