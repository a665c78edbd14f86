"""API views: thin. Validate, call a service or a selector, serialize."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from experiments import selectors, services
from experiments.api.filters import FilteredExperimentsMixin
from experiments.api.schema import DETAIL, FIELD_ERRORS, TOO_MANY
from experiments.api.serializers import (
    ArchitectureSerializer,
    CatalogueEntrySerializer,
    ExperimentCreateSerializer,
    ExperimentSerializer,
)
from experiments.models import ClassResult, Experiment
from models_zoo import render, shapes
from models_zoo.architectures import list_architectures

# Noise classes have no fixed image: their thumbnail is one draw from a fixed seed.
THUMBNAIL_SEED = 0


def _png(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


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


@extend_schema_view(
    get=extend_schema(responses={200: ExperimentSerializer(many=True), 400: FIELD_ERRORS}),
    post=extend_schema(
        request=ExperimentCreateSerializer,
        responses={201: ExperimentSerializer, 400: FIELD_ERRORS, 429: TOO_MANY},
    ),
)
class ExperimentListView(FilteredExperimentsMixin, generics.ListCreateAPIView):
    """The user's experiments (newest first, paginated); POST starts a new one."""

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.request.method == "POST":
            return ExperimentCreateSerializer
        return ExperimentSerializer

    def get_throttles(self) -> list[Any]:
        if self.request.method == "POST":
            self.throttle_scope = "experiment_create"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def perform_create(self, serializer: serializers.Serializer) -> None:
        user = self.request.user
        experiment = services.experiment_create(user=user, config=serializer.validated_data)
        serializer.instance = selectors.experiment_get(user=user, pk=experiment.pk)


class OwnExperimentMixin:
    """Views of one of the user's experiments: another user's is a 404, like a missing one."""

    request: Request

    def get_queryset(self) -> QuerySet[Experiment]:
        return selectors.experiment_list(user=self.request.user)


@extend_schema_view(
    get=extend_schema(responses=ExperimentSerializer),
    delete=extend_schema(
        description="Deletes the experiment, its results and files (a running one stops).",
        responses={204: None, 404: DETAIL},
    ),
)
class ExperimentDetailView(OwnExperimentMixin, generics.RetrieveDestroyAPIView):
    """One of the user's experiments with its progress and results."""

    serializer_class = ExperimentSerializer

    def perform_destroy(self, instance: Experiment) -> None:
        services.experiment_delete(user=self.request.user, experiment=instance)


class ExperimentCancelView(OwnExperimentMixin, generics.GenericAPIView):
    """Cancels a queued or running experiment; 409 when it has already finished."""

    serializer_class = ExperimentSerializer

    @extend_schema(request=None, responses={200: ExperimentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        experiment = services.experiment_cancel(user=request.user, experiment=self.get_object())
        return Response(self.get_serializer(experiment).data)


class OwnResultMixin:
    """Views of one class result (``position``) of one of the user's experiments (``pk``):
    anyone else's, like a missing one, is a 404."""

    request: Request
    kwargs: dict[str, Any]

    def get_object(self) -> ClassResult:
        return selectors.class_result_get(
            user=self.request.user,
            experiment_pk=self.kwargs["pk"],
            position=self.kwargs["position"],
        )


class ResultImageView(OwnResultMixin, generics.GenericAPIView):
    """A stored PNG of one class result (generated image or template), for its owner only."""

    which = "image"

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="28x28 PNG")})
    def get(self, request: Request, pk: int, position: int) -> HttpResponse:
        stored = getattr(self.get_object(), self.which)
        try:
            with stored.open("rb") as handle:
                return _png(handle.read())
        except (FileNotFoundError, ValueError):
            raise Http404("The image file is missing.") from None


class ResultExtraImageView(OwnResultMixin, generics.GenericAPIView):
    """One of a class's further generated images (a run with ``diversity`` > 1) as a 28x28
    PNG: ``index`` 1 is the class's second image. Drawn from the row's stored array."""

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="28x28 PNG")})
    def get(self, request: Request, pk: int, position: int, index: int) -> HttpResponse:
        result = self.get_object()
        raw = ClassResult.objects.filter(pk=result.pk).values_list("extras_raw", flat=True).get()
        if not raw:
            raise Http404("This class has one generated image.")
        images = np.load(io.BytesIO(bytes(raw)), allow_pickle=False)
        if not 1 <= index <= len(images):
            raise Http404(f"This class has {len(images) + 1} generated images.")
        return _png(render.to_png(images[index - 1]))
