"""The user's own classes and highlights: /api/v1/classes/ and /api/v1/highlights/.

Generic views over the drawing selectors and services. Every queryset is the requesting
user's own, so another user's class or highlight is a 404 (and, named in a new highlight, a
400 "you have no class"). The serializers check what is sent with the drawing's own checks
(``drawing.services``, on ``experiments.models.clean_grid``): a bad grid, a blank drawing, a
bad upload or a duplicate name is a 400 whose message names the field, and nothing is stored.
The services check again when they save, as they do for every other caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.fields import empty
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from drawing import imaging, refs, selectors, services
from drawing.models import Highlight, ShapeClass
from experiments import selectors as experiment_selectors
from experiments.api.serializers import ExperimentSerializer
from experiments.api.views import OwnExperimentMixin
from shapeshop_site.parsers import JSONParser

GRID_HELP = "28 rows of 28 numbers in [0, 1]."
BAD_REQUEST = OpenApiResponse(description="Invalid field")


class _Grid(serializers.Field):
    """A 28x28 grid, taken as sent: the serializer's ``validate`` checks it with the drawing's
    own checks, so every message about a grid is theirs. A missing grid reaches them as None,
    for the same reason."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return False, None if data is empty else data

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(
    {"type": "array", "items": {"type": "array", "items": {"type": "number", "format": "double"}}}
)
class PixelGridField(_Grid):
    """A drawing: numbers in [0, 1]."""


@extend_schema_field({"type": "array", "items": {"type": "array", "items": {"type": "integer"}}})
class MaskField(_Grid):
    """A highlight mask: 1 where painted."""


class _NameField(serializers.CharField):
    """A class's name: text, whose rules are all ``services.clean_name``'s. That includes
    control and surrogate characters, so DRF's own checks of those (in other words) go."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators[:] = [
            validator
            for validator in self.validators
            if not isinstance(
                validator, ProhibitNullCharactersValidator | ProhibitSurrogateCharactersValidator
            )
        ]


# A body must be an object of fields: a JSON list or number is refused, saying so. (A
# comment, not a docstring: the schema would show it as every serializer's description.)
class _ObjectBody(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            message = "Send the fields as a JSON object."
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
        return super().to_internal_value(data)


def _strokes(request: Request) -> int | None:
    """The pen strokes the page counted for this save, when it sent a count: the study log
    records them. Anything else is ignored, as the save itself does not depend on it."""
    value = request.data.get("strokes") if isinstance(request.data, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1_000_000:
        return value
    return None


# --- drawn classes ---------------------------------------------------------------------


class DrawnClassSerializer(_ObjectBody):
    id = serializers.IntegerField(read_only=True)
    key = serializers.SerializerMethodField(help_text="How a run configuration names it.")
    name = _NameField(
        help_text="1 to 40 characters, unique among your classes.",
        error_messages={key: services.NAME_MISSING for key in ("required", "blank", "invalid")},
    )
    pixels = PixelGridField(help_text=GRID_HELP)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_key(self, shape_class: ShapeClass) -> str:
        return refs.drawn_ref(shape_class)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and "image" in data and "image" not in self.fields:
            message = "send the picture as a file (multipart/form-data)"
            raise serializers.ValidationError({"image": [message]})
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["pixels"] is None:
            message = "send the drawing as pixels, or an image file"
            raise serializers.ValidationError({"pixels": [message]})
        user = self.context["request"].user
        exclude = self.instance.pk if self.instance is not None else None
        return {
            "name": services.clean_name(attrs["name"], user=user, exclude_pk=exclude),
            "pixels": services.clean_pixels(attrs["pixels"]),
        }


class DrawnClassUploadSerializer(DrawnClassSerializer):
    """A class drawn from a picture, sent as multipart/form-data."""

    image = serializers.FileField(
        write_only=True,
        allow_empty_file=True,  # imaging says what is wrong with an empty file
        help_text="A PNG or JPEG, at most 2 MB and 4096 px a side.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        del fields["pixels"]  # they come from the picture
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        pixels = imaging.image_to_pixels(attrs["image"])
        return super().validate({"name": attrs["name"], "pixels": pixels})

    def to_representation(self, instance: ShapeClass) -> Any:
        return DrawnClassSerializer(instance, context=self.context).data


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(
        allow_empty_file=True,
        help_text="A PNG or JPEG, at most 2 MB and 4096 px a side.",
        error_messages={"required": "choose a PNG or JPEG file"},
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"pixels": imaging.image_to_pixels(attrs["image"])}


class PixelsSerializer(serializers.Serializer):
    pixels = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()), help_text=GRID_HELP
    )


class _OwnDrawnClassMixin:
    request: Request
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ShapeClass]:
        return selectors.drawn_class_list(user=self.request.user)

    def get_serializer_class(self) -> type[DrawnClassSerializer]:
        # A picture comes as a file; pixels come as JSON (or a form field).
        if "image" in self.request.FILES:
            return DrawnClassUploadSerializer
        return DrawnClassSerializer


class DrawnClassListView(_OwnDrawnClassMixin, generics.ListCreateAPIView):
    """Your drawn classes, oldest first; POST stores a new one from pixels or an image."""

    pagination_class = None

    @extend_schema(
        request={
            "application/json": DrawnClassSerializer,
            "multipart/form-data": DrawnClassUploadSerializer,
        },
        responses={201: DrawnClassSerializer, 400: BAD_REQUEST},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def perform_create(self, serializer: DrawnClassSerializer) -> None:
        serializer.instance = services.drawn_class_save(
            user=self.request.user, **serializer.validated_data, strokes=_strokes(self.request)
        )


class DrawnClassDetailView(_OwnDrawnClassMixin, generics.RetrieveUpdateDestroyAPIView):
    """One of your drawn classes: PUT replaces its name and drawing, DELETE removes it (past
    experiments keep their own copy)."""

    http_method_names = ["get", "put", "delete", "head", "options"]

    @extend_schema(
        request=DrawnClassSerializer, responses={200: DrawnClassSerializer, 400: BAD_REQUEST}
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().put(request, *args, **kwargs)

    def perform_update(self, serializer: DrawnClassSerializer) -> None:
        serializer.instance = services.drawn_class_save(
            user=self.request.user,
            **serializer.validated_data,
            shape_class=serializer.instance,
            strokes=_strokes(self.request),
        )

    def perform_destroy(self, instance: ShapeClass) -> None:
        services.drawn_class_delete(user=self.request.user, shape_class=instance)


class ImageConvertView(generics.GenericAPIView):
    """Converts an uploaded PNG or JPEG to 28x28 pixels without storing anything, so the
    drawing panel can show it for editing before it is saved."""

    parser_classes = [MultiPartParser]
    serializer_class = ImageUploadSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "image_convert"

    @extend_schema(
        request={"multipart/form-data": ImageUploadSerializer},
        responses={200: PixelsSerializer, 400: OpenApiResponse(description="Bad image")},
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


# --- highlights --------------------------------------------------------------------------


class HighlightSerializer(_ObjectBody):
    id = serializers.IntegerField(read_only=True)
    relevant = MaskField(help_text="The yellow mask (the class itself): 28x28, 1 where painted.")
    irrelevant = MaskField(
        help_text="The red mask (not part of the class): 28x28, 1 where painted."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # "class" is a Python keyword, so that field cannot be a class attribute. A change
        # (PUT) may leave it out: a highlight keeps its class.
        missing = {key: services.CLASS_MISSING for key in ("required", "null", "blank")}
        return {
            "class": serializers.CharField(
                source="class_ref",
                required=self.instance is None,
                help_text="A catalogue key (box), a dataset class (decoy:3) or drawn:<id>.",
                error_messages=missing,
            ),
            **super().get_fields(),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            services.clean_highlight_class(
                user=self.context["request"].user, ref=attrs["class_ref"]
            )
        elif attrs.get("class_ref", self.instance.class_ref) != self.instance.class_ref:
            message = "a highlight stays with its class; delete it and paint the other class"
            raise serializers.ValidationError({"class": [message]})
        yellow, red = services.clean_masks(
            relevant=attrs["relevant"], irrelevant=attrs["irrelevant"]
        )
        return {**attrs, "relevant": yellow, "irrelevant": red}


class _OwnHighlightMixin:
    request: Request
    serializer_class = HighlightSerializer

    def get_queryset(self) -> QuerySet[Highlight]:
        return selectors.highlight_list(user=self.request.user)


class HighlightListView(_OwnHighlightMixin, generics.ListCreateAPIView):
    """Your highlights; POST paints one class (catalogue key, dataset class or drawn:<id>)."""

    pagination_class = None

    @extend_schema(
        request=HighlightSerializer, responses={201: HighlightSerializer, 400: BAD_REQUEST}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def perform_create(self, serializer: HighlightSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.highlight_save(
            user=self.request.user,
            ref=data["class_ref"],
            relevant=data["relevant"],
            irrelevant=data["irrelevant"],
            strokes=_strokes(self.request),
        )


class HighlightDetailView(_OwnHighlightMixin, generics.RetrieveUpdateDestroyAPIView):
    """One of your highlights: PUT replaces both masks, DELETE removes it."""

    http_method_names = ["get", "put", "delete", "head", "options"]

    @extend_schema(
        request=HighlightSerializer, responses={200: HighlightSerializer, 400: BAD_REQUEST}
    )
    def put(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().put(request, *args, **kwargs)

    def perform_update(self, serializer: HighlightSerializer) -> None:
        highlight = serializer.instance
        serializer.instance = services.highlight_save(
            user=self.request.user,
            ref=highlight.class_ref,
            relevant=serializer.validated_data["relevant"],
            irrelevant=serializer.validated_data["irrelevant"],
            highlight=highlight,
            strokes=_strokes(self.request),
        )

    def perform_destroy(self, instance: Highlight) -> None:
        services.highlight_delete(user=self.request.user, highlight=instance)


class HighlightBaselineView(OwnExperimentMixin, generics.GenericAPIView):
    """Queues the experiment again with highlighting off and the same seed (once), for the
    side-by-side comparison; 201 with the new experiment, 200 when it exists already."""

    serializer_class = ExperimentSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_create"

    @extend_schema(request=None, responses={201: ExperimentSerializer, 200: ExperimentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        experiment = self.get_object()
        before = experiment.highlight_baseline_id
        baseline = services.highlight_baseline_create(user=request.user, experiment=experiment)
        code = status.HTTP_200_OK if baseline.pk == before else status.HTTP_201_CREATED
        baseline = experiment_selectors.experiment_get(user=request.user, pk=baseline.pk)
        return Response(self.get_serializer(baseline).data, status=code)


class HighlightCorrectionView(OwnExperimentMixin, generics.GenericAPIView):
    """Trains the experiment again with the input-gradient penalty and the same seed, using
    the user's current masks on its classes (at least one red region); 201 with the new
    experiment, linked to this one as its source."""

    serializer_class = ExperimentSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_create"

    @extend_schema(request=None, responses={201: ExperimentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        experiment = self.get_object()
        corrected = services.highlight_correction_create(user=request.user, experiment=experiment)
        corrected = experiment_selectors.experiment_get(user=request.user, pk=corrected.pk)
        return Response(self.get_serializer(corrected).data, status=status.HTTP_201_CREATED)
