"""Routes of the accounts' API, part of /api/v1/."""

from __future__ import annotations

from django.urls import path

from accounts.api import TokenView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
]
