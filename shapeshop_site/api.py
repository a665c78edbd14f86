"""What every API endpoint shares: the error body and pagination.

One ``EXCEPTION_HANDLER`` (settings.REST_FRAMEWORK) turns every error into the API's body:

- a Django ``ValidationError`` from a service, like a serializer's, becomes a 400 whose keys
  name the fields (``{"step_size": ["must be ..."]}``); an error tied to no field comes under
  ``non_field_errors``;
- a service's own exception that declares ``http_status`` (too many active runs: 429, an
  experiment that already finished: 409, ...) becomes that status with ``{"detail": ...}``;
- everything else is DRF's own handling (404, 403, 405, throttling, ...).

So views let service errors rise instead of catching them one by one, and a service needs no
import from here: the attribute is the whole contract.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def validation_messages(error: DjangoValidationError) -> dict[str, list[str]]:
    """``{field: [messages]}``; an error tied to no field comes under ``non_field_errors``."""
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"non_field_errors": error.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return Response(validation_messages(exc), status=400)
    http_status = getattr(exc, "http_status", None)
    if isinstance(http_status, int):
        return Response({"detail": str(exc)}, status=http_status)
    return drf_exception_handler(exc, context)


class Pagination(PageNumberPagination):
    """Pages of lists: 20 items unless the client asks for up to 100 with ``page_size``."""

    page_size_query_param = "page_size"
    max_page_size = 100
