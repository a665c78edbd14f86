"""Routes of the sweeps' pages (the API's are in sweeps/api_urls.py)."""

from __future__ import annotations

from django.urls import path

from sweeps import views

urlpatterns = [
    path("sweeps/", views.index, name="sweep-list-page"),
    path("sweeps/<int:pk>/", views.detail, name="sweep-page"),
]
