"""The attribution maps' endpoint: GET /api/v1/experiments/{id}/attributions/.

A map is computed once by a worker (``inspector.tasks.compute_attribution``) and kept: the
first request answers 202 with ``"status": "computing"`` and queues the task, later ones the
same until it is stored, then 200 with the map. Another user's run is a 404; a run without
stored weights a 409; a bad class, method or image a 400 naming it (an image index past the
training set once the worker has found so).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from experiments.api.schema import DETAIL, FIELD_ERRORS
from experiments.models import Experiment
from inspector import selectors, services
from inspector.api import _grid
from inspector.models import TEMPLATE_IMAGE, AttributionMap
from models_zoo.attribution import METHODS

# The baseline a method compares the image with, where it has one.
BASELINES = {"integrated_gradients": "black"}


class _Named(serializers.Serializer):
    """The request's own fields echoed back ("class" is a Python keyword)."""

    method = serializers.CharField(help_text="The attribution method.")
    image = serializers.CharField(help_text='"template" or the index of a training image.')

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = serializers.CharField(help_text="The key of the class explained.")
        return fields


class ComputingSerializer(_Named):
    status = serializers.CharField(help_text='"computing": ask again in a moment.')


_COMPUTING = OpenApiResponse(ComputingSerializer, description="Queued or being computed")
_MAP = OpenApiResponse(
    {
        "type": "object",
        "properties": {
            "status": {"type": "string"},
            "class": {"type": "string"},
            "method": {"type": "string", "enum": list(METHODS)},
            "image": {"type": "string"},
            "image_class": {"type": "string"},
            "baseline": {"type": "string", "nullable": True},
            "map": _grid({"type": "number", "format": "double"}),
            "pixels": {
                **_grid({"type": "number", "format": "double"}),
                "nullable": True,
                "description": "The explained image's pixels as the model saw them (0 black, "
                "1 white), to 4 decimals; null for a map stored before they were kept.",
            },
            "red_region": {
                **_grid({"type": "integer", "enum": [0, 1]}),
                "description": "The class's red region as the run kept it (1 inside); "
                "absent without one.",
            },
            "red_share": {
                "type": "number",
                "format": "double",
                "nullable": True,
                "description": "The share of the map's absolute attribution inside "
                "red_region (null for a map that is zero everywhere); absent without one.",
            },
        },
        "required": [
            "status",
            "class",
            "method",
            "image",
            "image_class",
            "baseline",
            "map",
            "pixels",
        ],
    },
    description="The stored map",
)


def answer(row: AttributionMap) -> Response:
    named = {"class": row.class_key, "method": row.method, "image": row.image}
    if row.status == AttributionMap.Status.DONE:
        body = {
            "status": "done",
            **named,
            "image_class": row.image_class,
            "baseline": BASELINES.get(row.method),
            "map": row.values,
            "pixels": row.pixels,
        }
        red = services.red_region(row)
        if red is not None:
            body["red_region"] = red
            body["red_share"] = services.red_share(row, red)
        return Response(body)
    if row.status == AttributionMap.Status.FAILED:
        if row.error_field:
            return Response({row.error_field: [row.error]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": row.error}, status=status.HTTP_409_CONFLICT)
    return Response({"status": "computing", **named}, status=status.HTTP_202_ACCEPTED)


class ExperimentAttributionView(generics.GenericAPIView):
    """An attribution map of a finished run's model: which pixels of an image its score for
    a class rests on. Computed by a worker on first request (202), then stored (200)."""

    def get_queryset(self) -> QuerySet[Experiment]:
        return selectors.probeable_experiments(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "class", OpenApiTypes.STR, required=True, description="A class key of the run."
            ),
            OpenApiParameter("method", OpenApiTypes.STR, required=True, enum=list(METHODS)),
            OpenApiParameter(
                "image",
                OpenApiTypes.STR,
                description=f'"{TEMPLATE_IMAGE}" (the default) or a training image index.',
            ),
        ],
        responses={200: _MAP, 202: _COMPUTING, 400: FIELD_ERRORS, 404: DETAIL, 409: DETAIL},
    )
    def get(self, request: Request, pk: int) -> Response:
        experiment = self.get_object()
        params: Any = request.query_params
        row = services.attribution_request(
            experiment=experiment,
            class_key=params.get("class"),
            method=params.get("method"),
            image=params.get("image"),
        )
        return answer(row)
