"""The user's own classes and highlights: /api/v1/classes/ and /api/v1/highlights/.

Thin views over the drawing services and selectors. Every queryset is the requesting
user's own, so another user's class or highlight is a 404 (and, named in a new highlight, a
400 "you have no class"). A bad grid, a blank drawing, a bad upload or a duplicate name is a
400 whose message names the field, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from drawing import imaging, refs, selectors, services
from drawing.models import Highlight, ShapeClass
from experiments import selectors as experiment_selectors
from experiments import services as experiment_services
from experiments.api.errors import bad_request
from experiments.api.serializers import ExperimentSerializer

GRID_HELP = "28 rows of 28 numbers in [0, 1]."


class DrawnClassSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    key = serializers.SerializerMethodField(help_text="How a run configuration names it.")
    name = serializers.CharField(help_text="1 to 40 characters, unique among your classes.")
    pixels = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()), help_text=GRID_HELP
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_key(self, shape_class: ShapeClass) -> str:
        return refs.drawn_ref(shape_class)


class DrawnClassUploadSerializer(serializers.Serializer):
    name = serializers.CharField()
    image = serializers.FileField(help_text="A PNG or JPEG, at most 2 MB and 4096 px a side.")


class PixelsSerializer(serializers.Serializer):
    pixels = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()), help_text=GRID_HELP
    )


class HighlightSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    relevant = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The yellow mask (the class itself): 28x28, 1 where painted.",
    )
    irrelevant = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The red mask (not part of the class): 28x28, 1 where painted.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # "class" is a Python keyword, so that field cannot be a class attribute.
        return {
            "class": serializers.CharField(
                source="class_ref", help_text="A catalogue key (box) or drawn:<id>."
            ),
            **super().get_fields(),
        }


def _body(request: Request) -> Any:
    """The request's fields as a plain mapping; a JSON body that is not an object is refused."""
    data = request.data
    if hasattr(data, "getlist") or isinstance(data, dict):
        return data
    raise ValidationError({"non_field_errors": ["Send the fields as a JSON object."]})


def _strokes(request: Request) -> int | None:
    """The pen strokes the page counted for this save, when it sent a count: the study log
    records them. Anything else is ignored, as the save itself does not depend on it."""
    value = request.data.get("strokes") if isinstance(request.data, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1_000_000:
        return value
    return None


def _class_fields(request: Request) -> tuple[Any, Any]:
    """The name and pixels of a class: JSON ``pixels``, or an uploaded ``image`` file."""
    data = _body(request)
    upload = request.FILES.get("image") if hasattr(request, "FILES") else None
    if upload is not None:
        return data.get("name"), imaging.image_to_pixels(upload)
    if "image" in data:
        raise ValidationError({"image": ["send the picture as a file (multipart/form-data)"]})
    if "pixels" not in data:
        raise ValidationError({"pixels": ["send the drawing as pixels, or an image file"]})
    return data.get("name"), data.get("pixels")


class DrawnClassListView(APIView):
    """Your drawn classes, oldest first; POST stores a new one from pixels or an image."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = None

    @extend_schema(responses=DrawnClassSerializer(many=True))
    def get(self, request: Request) -> Response:
        classes = selectors.drawn_class_list(user=request.user)
        return Response(DrawnClassSerializer(classes, many=True).data)

    @extend_schema(
        request={
            "application/json": DrawnClassSerializer,
            "multipart/form-data": DrawnClassUploadSerializer,
        },
        responses={201: DrawnClassSerializer, 400: OpenApiResponse(description="Invalid field")},
    )
    def post(self, request: Request) -> Response:
        try:
            name, pixels = _class_fields(request)
            shape_class = services.drawn_class_save(
                user=request.user, name=name, pixels=pixels, strokes=_strokes(request)
            )
        except ValidationError as error:
            return bad_request(error)
        return Response(DrawnClassSerializer(shape_class).data, status=status.HTTP_201_CREATED)


class DrawnClassDetailView(APIView):
    """One of your drawn classes: PUT replaces its name and drawing, DELETE removes it (past
    experiments keep their own copy)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=DrawnClassSerializer)
    def get(self, request: Request, pk: int) -> Response:
        shape_class = selectors.drawn_class_get(user=request.user, pk=pk)
        return Response(DrawnClassSerializer(shape_class).data)

    @extend_schema(
        request=DrawnClassSerializer,
        responses={200: DrawnClassSerializer, 400: OpenApiResponse(description="Invalid field")},
    )
    def put(self, request: Request, pk: int) -> Response:
        shape_class = selectors.drawn_class_get(user=request.user, pk=pk)
        try:
            name, pixels = _class_fields(request)
            shape_class = services.drawn_class_save(
                user=request.user,
                name=name,
                pixels=pixels,
                shape_class=shape_class,
                strokes=_strokes(request),
            )
        except ValidationError as error:
            return bad_request(error)
        return Response(DrawnClassSerializer(shape_class).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        shape_class = selectors.drawn_class_get(user=request.user, pk=pk)
        services.drawn_class_delete(user=request.user, shape_class=shape_class)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImageConvertView(APIView):
    """Converts an uploaded PNG or JPEG to 28x28 pixels without storing anything, so the
    drawing panel can show it for editing before it is saved."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": DrawnClassUploadSerializer},
        responses={200: PixelsSerializer, 400: OpenApiResponse(description="Bad image")},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("image")
        try:
            if upload is None:
                raise ValidationError({"image": ["choose a PNG or JPEG file"]})
            pixels = imaging.image_to_pixels(upload)
        except ValidationError as error:
            return bad_request(error)
        return Response({"pixels": pixels})


class HighlightListView(APIView):
    """Your highlights; POST paints one class (catalogue key or drawn:<id>)."""

    pagination_class = None

    @extend_schema(responses=HighlightSerializer(many=True))
    def get(self, request: Request) -> Response:
        highlights = selectors.highlight_list(user=request.user)
        return Response(HighlightSerializer(highlights, many=True).data)

    @extend_schema(
        request=HighlightSerializer,
        responses={201: HighlightSerializer, 400: OpenApiResponse(description="Invalid field")},
    )
    def post(self, request: Request) -> Response:
        try:
            data = _body(request)
            highlight = services.highlight_save(
                user=request.user,
                ref=data.get("class"),
                relevant=data.get("relevant"),
                irrelevant=data.get("irrelevant"),
                strokes=_strokes(request),
            )
        except ValidationError as error:
            return bad_request(error)
        return Response(HighlightSerializer(highlight).data, status=status.HTTP_201_CREATED)


class HighlightDetailView(APIView):
    """One of your highlights: PUT replaces both masks, DELETE removes it."""

    def _get(self, request: Request, pk: int) -> Highlight:
        return selectors.highlight_get(user=request.user, pk=pk)

    @extend_schema(responses=HighlightSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(HighlightSerializer(self._get(request, pk)).data)

    @extend_schema(
        request=HighlightSerializer,
        responses={200: HighlightSerializer, 400: OpenApiResponse(description="Invalid field")},
    )
    def put(self, request: Request, pk: int) -> Response:
        highlight = self._get(request, pk)
        try:
            data = _body(request)
            ref = data.get("class", highlight.class_ref)
            if ref != highlight.class_ref:
                message = "a highlight stays with its class; delete it and paint the other class"
                raise ValidationError({"class": [message]})
            highlight = services.highlight_save(
                user=request.user,
                ref=ref,
                relevant=data.get("relevant"),
                irrelevant=data.get("irrelevant"),
                highlight=highlight,
                strokes=_strokes(request),
            )
        except ValidationError as error:
            return bad_request(error)
        return Response(HighlightSerializer(highlight).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.highlight_delete(user=request.user, highlight=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class HighlightBaselineView(APIView):
    """Queues the experiment again with highlighting off and the same seed (once), for the
    side-by-side comparison; 201 with the new experiment, 200 when it exists already."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_create"

    @extend_schema(request=None, responses={201: ExperimentSerializer, 200: ExperimentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        experiment = experiment_selectors.experiment_get(user=request.user, pk=pk)
        before = experiment.highlight_baseline_id
        try:
            baseline = services.highlight_baseline_create(user=request.user, experiment=experiment)
        except ValidationError as error:
            return bad_request(error)
        except experiment_services.TooManyActive as error:
            return Response({"detail": str(error)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        code = status.HTTP_200_OK if baseline.pk == before else status.HTTP_201_CREATED
        baseline = experiment_selectors.experiment_get(user=request.user, pk=baseline.pk)
        return Response(ExperimentSerializer(baseline).data, status=code)
