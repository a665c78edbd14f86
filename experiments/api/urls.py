"""Routes of the JSON API, mounted at /api/v1/."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from experiments.api import views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("catalogue/", views.CatalogueView.as_view(), name="catalogue"),
    path(
        "catalogue/<slug:key>/image.png",
        views.CatalogueImageView.as_view(),
        name="catalogue-image",
    ),
    path("architectures/", views.ArchitectureListView.as_view(), name="architectures"),
    path("experiments/", views.ExperimentListView.as_view(), name="experiment-list"),
    path("experiments/<int:pk>/", views.ExperimentDetailView.as_view(), name="experiment-detail"),
    path(
        "experiments/<int:pk>/cancel/",
        views.ExperimentCancelView.as_view(),
        name="experiment-cancel",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/image.png",
        views.ResultImageView.as_view(which="image"),
        name="result-image",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/template.png",
        views.ResultImageView.as_view(which="template"),
        name="result-template",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
