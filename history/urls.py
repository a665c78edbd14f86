"""Routes of the history pages: the history itself and the compare view."""

from __future__ import annotations

from django.urls import path

from history import views

urlpatterns = [
    path("history/", views.history, name="history"),
    path("compare/", views.compare, name="compare"),
]
