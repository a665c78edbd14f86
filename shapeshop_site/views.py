"""Site-wide error views: JSON under /api/, so that an API client never gets an HTML page,
and Django's own pages (or the templates that replace them) elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from shapeshop_site.middleware import wants_json


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: a route that matches nothing (e.g. a non-numeric id under /api/)."""
    if wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 raised by Django itself (a bad Host header, too many form fields, ...)."""
    if wants_json(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 raised outside DRF's own handling (DRF answers its own 403s in JSON)."""
    if wants_json(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: an error nobody handled. Django has logged it (``django.request``, with the
    traceback: settings.LOGGING); the client learns only that it happened."""
    if wants_json(request):
        message = "The server met an error and could not answer. It has been logged."
        return JsonResponse({"detail": message}, status=500)
    return defaults.server_error(request)
