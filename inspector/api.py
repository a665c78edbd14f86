"""The probe's endpoint: POST /api/v1/experiments/{id}/probe/.

A drawing in, the run's stored model's answer out: each class's probability and the
saliency of the pixels for one class. It computes in numpy (``models_zoo.probe``), never in
TensorFlow, and is throttled per user (scope ``probe``) at a rate that lets a page ask on
every stroke. Another user's run is a 404; a run without usable stored weights a 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from experiments.api.schema import DETAIL, FIELD_ERRORS, TOO_MANY
from experiments.models import IMAGE_SIZE, Experiment, clean_grid
from inspector import selectors
from shapeshop_site.parsers import JSONParser

_ROWS = {"minItems": IMAGE_SIZE, "maxItems": IMAGE_SIZE}


def _grid(number: dict[str, Any]) -> dict[str, Any]:
    """The schema of 28 rows of 28 numbers described by ``number``."""
    return {"type": "array", **_ROWS, "items": {"type": "array", **_ROWS, "items": number}}


@extend_schema_field(_grid({"type": "number", "format": "double", "minimum": 0, "maximum": 1}))
class _PixelsField(serializers.Field):
    """A 28x28 grid of numbers in [0, 1], checked by ``clean_grid`` (the check every grid of
    the site goes through), so its messages say what is wrong and where."""

    def to_internal_value(self, data: Any) -> list[list[float]]:
        try:
            return clean_grid(data, field="pixels")
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["pixels"]) from None

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(_grid({"type": "number", "format": "double"}))
class _SaliencyField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value.tolist()


class ProbeSerializer(serializers.Serializer):
    pixels = _PixelsField(help_text="The drawing: 28 rows of 28 numbers in [0, 1].")

    def get_fields(self) -> dict[str, serializers.Field]:
        # "class" is a Python keyword, so the field is added by name.
        fields = super().get_fields()
        fields["class"] = serializers.CharField(
            required=False,
            help_text="The key of the class to explain; by default the most probable one.",
        )
        return fields

    method = serializers.CharField(
        required=False,
        default="saliency",
        help_text="The attribution method: saliency (the default), smoothgrad, "
        "integrated_gradients, grad_cam (models with a convolution) or occlusion.",
    )
    layer = serializers.CharField(
        required=False,
        help_text="A layer (conv_1, pool_1, dense_1, ..., logits) whose feature maps to add.",
    )

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            message = "Send the fields as a JSON object."
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
        return super().to_internal_value(data)


class ClassProbabilitySerializer(serializers.Serializer):
    p = serializers.FloatField(help_text="The model's probability of this class.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = serializers.CharField(help_text="The class's key.")
        return fields


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "oneOf": [
                {"type": "number"},
                {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            ]
        },
    }
)
class _FeatureMapsField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value.tolist()


class ProbeAnswerSerializer(serializers.Serializer):
    probabilities = ClassProbabilitySerializer(many=True, help_text="In the run's class order.")
    saliency = _SaliencyField(
        help_text="28 x 28: the map of the method; for saliency, how much the explained "
        "class's probability changes per pixel."
    )
    method = serializers.CharField(help_text="The attribution method of the map.")
    layers = serializers.ListField(
        child=serializers.CharField(),
        help_text="The run's layers whose feature maps can be asked for, in order.",
    )
    feature_maps = _FeatureMapsField(
        required=False,
        help_text="With a layer: its output, one h x w grid per channel of a convolution or "
        "pooling, one number per unit of a dense layer.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["class"] = serializers.CharField(help_text="The key of the class explained.")
        return fields


class ExperimentProbeView(generics.GenericAPIView):
    """What a finished run's model makes of a drawing: every class's probability and the
    saliency of each pixel for one class (by default the most probable)."""

    serializer_class = ProbeSerializer
    # A drawing is a JSON grid; a form could not carry it.
    parser_classes = [JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "probe"

    def get_queryset(self) -> QuerySet[Experiment]:
        return selectors.probeable_experiments(user=self.request.user)

    @extend_schema(
        request=ProbeSerializer,
        responses={
            200: ProbeAnswerSerializer,
            400: FIELD_ERRORS,
            404: DETAIL,
            409: DETAIL,
            429: TOO_MANY,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        experiment = self.get_object()
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        answer = selectors.experiment_probe(
            experiment=experiment,
            pixels=body.validated_data["pixels"],
            class_key=body.validated_data.get("class"),
            method=body.validated_data["method"],
            layer=body.validated_data.get("layer"),
        )
        data: dict[str, Any] = {
            "probabilities": [{"class": key, "p": p} for key, p in answer.probabilities],
            "saliency": answer.saliency,
            "class": answer.explained,
            "method": answer.method,
            "layers": list(answer.layers),
        }
        if answer.feature_maps is not None:
            data["feature_maps"] = answer.feature_maps
        return Response(ProbeAnswerSerializer(data).data)
