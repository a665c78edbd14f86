"""Pieces of the OpenAPI schema that several endpoints share (the studies' API too)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})
# {field: [message, ...]}; a nested field (an item of a list) has its own errors inside.
FIELD_ERRORS = OpenApiResponse(
    description="Invalid input: each key names a field, with the messages about it",
    response={"type": "object", "additionalProperties": {}},
)
TOO_MANY = OpenApiResponse(response=DETAIL, description="Throttled, or too many active runs")
