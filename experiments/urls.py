"""Routes of the run pages: the landing page and the Model Builder."""

from __future__ import annotations

from django.urls import path

from experiments import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("builder/", views.builder, name="builder"),
]
