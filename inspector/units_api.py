"""The hidden units' endpoint: GET /api/v1/experiments/{id}/units/[?layer=<name>].

Without ``layer``, the run's dense and convolution layers that can be probed, read from its
layer plan (no TensorFlow). With one, the image that most excites each of its units
(activation maximization, ``models_zoo.units``), computed once by a worker
(``inspector.tasks.compute_units``) and kept: 202 ``"computing"`` until it is stored, then
200. Another user's run is a 404; a run without stored weights a 409; an unknown layer a
400 naming ``layer``.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from experiments.api.schema import DETAIL, FIELD_ERRORS
from experiments.models import Experiment
from inspector import selectors, services
from inspector.api import _grid
from inspector.models import UnitImages

_NUMBER = {"type": "number", "format": "double"}
_IMAGES = {"type": "array", "items": _grid(_NUMBER)}
_WEIGHTS = {
    "type": "array",
    "nullable": True,
    "items": {"type": "array", "items": {"type": "array", "items": _NUMBER}},
}
_LAYER = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["dense", "conv"]},
        "units": {"type": "integer"},
    },
    "required": ["name", "kind", "units"],
}
_ANSWER = OpenApiResponse(
    {
        "type": "object",
        "properties": {
            "layers": {"type": "array", "items": _LAYER},
            "status": {"type": "string"},
            "layer": {"type": "string"},
            "kind": {"type": "string"},
            "units": {"type": "integer"},
            "images": _IMAGES,
            "weights": _WEIGHTS,
        },
    },
    description=(
        'Without "layer": {"layers": [...]}. With one: the stored unit images, "weights" the '
        "first weighted layer's weights as images (null for the others)."
    ),
)
_COMPUTING = OpenApiResponse(
    {
        "type": "object",
        "properties": {"status": {"type": "string"}, "layer": {"type": "string"}},
        "required": ["status", "layer"],
    },
    description="Queued or being computed",
)


def answer(row: UnitImages) -> Response:
    if row.status == UnitImages.Status.DONE:
        body = {
            "status": "done",
            "layer": row.layer,
            "kind": row.kind,
            "units": len(row.images or []),
            "images": row.images,
            "weights": row.weights,
        }
        return Response(body)
    if row.status == UnitImages.Status.FAILED:
        return Response({"detail": row.error}, status=status.HTTP_409_CONFLICT)
    return Response({"status": "computing", "layer": row.layer}, status=status.HTTP_202_ACCEPTED)


class ExperimentUnitsView(generics.GenericAPIView):
    """A finished run's layers that can be probed, or the images that most excite each unit
    of one of them (computed by a worker on first request, 202, then stored, 200)."""

    def get_queryset(self) -> QuerySet[Experiment]:
        return selectors.probeable_experiments(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "layer", OpenApiTypes.STR, description="A layer's name from the listing."
            )
        ],
        responses={200: _ANSWER, 202: _COMPUTING, 400: FIELD_ERRORS, 404: DETAIL, 409: DETAIL},
    )
    def get(self, request: Request, pk: int) -> Response:
        experiment = self.get_object()
        layer = request.query_params.get("layer")
        if layer is None:
            services.check_stored_model(experiment)
            layers = services.unit_layers(experiment)
            return Response({"layers": [found._asdict() for found in layers]})
        return answer(services.units_request(experiment=experiment, layer=layer))
