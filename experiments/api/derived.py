"""Endpoints on a finished run: re-run, re-visualize, raw result arrays, exports.

Every queryset is the requesting user's own (through the selectors); another user's
experiment is a 404. The endpoints that start work are throttled per user and count
against MAX_ACTIVE_EXPERIMENTS like any new experiment: the service's refusal rises to the
API's exception handler (429 with the reason), like its other errors.
"""

from __future__ import annotations

import io

import numpy as np
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from experiments import selectors, services
from experiments.api.filters import FilteredExperimentsMixin
from experiments.api.schema import DETAIL, FIELD_ERRORS, TOO_MANY
from experiments.api.serializers import (
    ExperimentSerializer,
    RerunSerializer,
    RevisualizeSerializer,
)
from experiments.api.views import OwnExperimentMixin, OwnResultMixin
from experiments.exports import EXPORT_COLUMNS, csv_text, experiment_rows
from experiments.models import ClassResult, Experiment


class _ExperimentActionView(OwnExperimentMixin, generics.GenericAPIView):
    """An action on one of the user's experiments that queues a new one from it."""

    serializer_class = ExperimentSerializer

    def created(self, experiment: Experiment) -> Response:
        experiment = selectors.experiment_get(user=self.request.user, pk=experiment.pk)
        return Response(self.get_serializer(experiment).data, status=status.HTTP_201_CREATED)


class ExperimentRerunView(_ExperimentActionView):
    """Queues a new experiment with the same settings and class images, optionally a new seed."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_create"

    @extend_schema(
        request=RerunSerializer,
        responses={201: ExperimentSerializer, 400: FIELD_ERRORS, 404: DETAIL, 429: TOO_MANY},
    )
    def post(self, request: Request, pk: int) -> Response:
        source = self.get_object()
        body = RerunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        seed = body.validated_data.get("seed")
        return self.created(services.experiment_rerun(user=request.user, source=source, seed=seed))


class ExperimentRevisualizeView(_ExperimentActionView):
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
        source = self.get_object()
        body = RevisualizeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = body.validated_data
        return self.created(
            services.experiment_revisualize(user=request.user, source=source, changes=changes)
        )


def _raw(result: ClassResult) -> np.ndarray:
    # The selectors leave the raw array out of a result; only these two views read it.
    raw = ClassResult.objects.filter(pk=result.pk).values_list("image_raw", flat=True).get()
    return np.load(io.BytesIO(bytes(raw)), allow_pickle=False)


class ResultArrayView(OwnResultMixin, generics.GenericAPIView):
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
        array = _raw(self.get_object())
        return Response(
            {"shape": list(array.shape), "dtype": str(array.dtype), "values": array.tolist()}
        )


class ResultNpyView(OwnResultMixin, generics.GenericAPIView):
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
        np.save(buffer, _raw(self.get_object()), allow_pickle=False)
        response = HttpResponse(buffer.getvalue(), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="experiment-{pk}-{position}.npy"'
        return response


class ExperimentExportCsvView(FilteredExperimentsMixin, generics.GenericAPIView):
    """The user's experiments (the list's filters apply) as CSV, one row per class result."""

    @extend_schema(
        # Not a list of JSON objects, so the schema is told that the list's filters apply.
        filters=True,
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="CSV"),
            400: FIELD_ERRORS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        rows = experiment_rows(self.filter_queryset(self.get_queryset()))
        text = csv_text(EXPORT_COLUMNS, rows)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="experiments.csv"'
        return response


class ExperimentExportJsonView(FilteredExperimentsMixin, generics.GenericAPIView):
    """The user's experiments (the list's filters apply) as one JSON list, unpaginated."""

    serializer_class = ExperimentSerializer
    pagination_class = None

    @extend_schema(responses={200: ExperimentSerializer(many=True), 400: FIELD_ERRORS})
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        data = self.get_serializer(queryset, many=True).data
        response = Response(data)
        response["Content-Disposition"] = 'attachment; filename="experiments.json"'
        return response
