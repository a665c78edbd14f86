"""Puts the signed-in user's study participation into every page's context.

``study_participation`` (or None) lets the base template load the interaction log script for
participants only, and ``study_condition`` (a dict, or None) tells the builder what the
participant's condition allows: ``allowed_models`` (empty: all), ``highlighting``, ``drawing``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from studies import selectors


def study(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"study_participation": None, "study_condition": None}
    participant = selectors.current_participant(user=user)
    return {
        "study_participation": participant,
        "study_condition": participant.condition.rules() if participant else None,
    }
