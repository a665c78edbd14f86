"""Routes of the inspector's pages: a run's own page."""

from __future__ import annotations

from django.urls import path

from inspector import views

urlpatterns = [
    path("experiments/<int:pk>/", views.run_page, name="run-page"),
]
