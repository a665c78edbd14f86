"""API views: thin. Validate, call a service or a selector, serialize."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from experiments import selectors, services
from experiments.api.errors import bad_request
from experiments.api.filters import ExperimentFilterSerializer, filtered_experiments
from experiments.api.pagination import ExperimentPagination
from experiments.api.schema import DETAIL, FIELD_ERRORS, TOO_MANY
from experiments.api.serializers import (
    ArchitectureSerializer,
    CatalogueEntrySerializer,
    ExperimentCreateSerializer,
    ExperimentSerializer,
)
from models_zoo import shapes
from models_zoo.architectures import list_architectures

# Noise classes have no fixed image: their thumbnail is one draw from a fixed seed.
THUMBNAIL_SEED = 0


def _png(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _config_from_form(data: Any) -> Any:
    """A form post carries lists as repeated keys; JSON bodies pass through unchanged."""
    if not hasattr(data, "getlist"):
        return data
    config: dict[str, Any] = {key: data.get(key) for key in data}
    if "classes" in data:
        config["classes"] = data.getlist("classes")
    return config


class CatalogueView(APIView):
    """Every built-in class, in display order."""

    @extend_schema(responses=CatalogueEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        entries = [
            {
                "key": shape.key,
                "name": shape.name,
                "index": shape.index,
                "is_noise": shape.is_noise,
                "thumbnail_url": reverse("api:catalogue-image", args=[shape.key]),
            }
            for shape in shapes.CATALOGUE.values()
        ]
        return Response(CatalogueEntrySerializer(entries, many=True).data)


class CatalogueImageView(APIView):
    """The clean 28x28 image of a built-in class. Public: it holds no user data."""

    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="28x28 PNG")})
    def get(self, request: Request, key: str) -> HttpResponse:
        from models_zoo.render import to_png

        shape = shapes.CATALOGUE.get(key)
        if shape is None:
            raise Http404("No such class.")
        return _png(to_png(shape.image(np.random.default_rng(THUMBNAIL_SEED))))


class ArchitectureListView(APIView):
    """Every model a run can use, with a one-line description."""

    @extend_schema(responses=ArchitectureSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ArchitectureSerializer(list_architectures(), many=True).data)


class ExperimentListView(APIView):
    """The user's experiments (newest first, paginated); POST starts a new one."""

    pagination_class = ExperimentPagination

    def get_throttles(self) -> list[Any]:
        if self.request.method == "POST":
            self.throttle_scope = "experiment_create"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        parameters=[ExperimentFilterSerializer],
        responses={200: ExperimentSerializer(many=True), 400: FIELD_ERRORS},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(filtered_experiments(request), request, view=self)
        data = ExperimentSerializer(page, many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request=ExperimentCreateSerializer,
        responses={201: ExperimentSerializer, 400: FIELD_ERRORS, 429: TOO_MANY},
    )
    def post(self, request: Request) -> Response:
        try:
            experiment = services.experiment_create(
                user=request.user, config=_config_from_form(request.data)
            )
        except ValidationError as error:
            return bad_request(error)
        except services.TooManyActive as error:
            return Response({"detail": str(error)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        experiment = selectors.experiment_get(user=request.user, pk=experiment.pk)
        return Response(ExperimentSerializer(experiment).data, status=status.HTTP_201_CREATED)


class ExperimentDetailView(APIView):
    """One of the user's experiments with its progress and results."""

    @extend_schema(responses=ExperimentSerializer)
    def get(self, request: Request, pk: int) -> Response:
        experiment = selectors.experiment_get(user=request.user, pk=pk)
        return Response(ExperimentSerializer(experiment).data)

    @extend_schema(responses={204: None, 404: DETAIL})
    def delete(self, request: Request, pk: int) -> Response:
        """Deletes the experiment, its results and files (a running one stops)."""
        experiment = selectors.experiment_get(user=request.user, pk=pk)
        services.experiment_delete(user=request.user, experiment=experiment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExperimentCancelView(APIView):
    """Cancels a queued or running experiment; 409 when it has already finished."""

    @extend_schema(request=None, responses={200: ExperimentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        experiment = selectors.experiment_get(user=request.user, pk=pk)
        try:
            services.experiment_cancel(user=request.user, experiment=experiment)
        except services.ExperimentFinished as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        experiment = selectors.experiment_get(user=request.user, pk=pk)
        return Response(ExperimentSerializer(experiment).data)


class ResultImageView(APIView):
    """A stored PNG of one class result (generated image or template), for its owner only."""

    which = "image"

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="28x28 PNG")})
    def get(self, request: Request, pk: int, position: int) -> HttpResponse:
        result = selectors.class_result_get(user=request.user, experiment_pk=pk, position=position)
        stored = getattr(result, self.which)
        try:
            with stored.open("rb") as handle:
                return _png(handle.read())
        except (FileNotFoundError, ValueError):
            raise Http404("The image file is missing.") from None
