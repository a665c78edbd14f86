"""How every API view turns a Django ValidationError into a 400 that names its fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import status
from rest_framework.response import Response


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    """``{field: [messages]}``; an error tied to no field comes under ``non_field_errors``."""
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"non_field_errors": error.messages}


def bad_request(error: ValidationError) -> Response:
    return Response(validation_messages(error), status=status.HTTP_400_BAD_REQUEST)
