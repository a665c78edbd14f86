"""Routes of the runs' API, part of /api/v1/ (URL names in the ``api`` namespace)."""

from __future__ import annotations

from django.urls import path

from experiments.api import datasets, derived, estimate, views

urlpatterns = [
    path("catalogue/", views.CatalogueView.as_view(), name="catalogue"),
    path(
        "catalogue/<slug:key>/image.png",
        views.CatalogueImageView.as_view(),
        name="catalogue-image",
    ),
    path("datasets/", datasets.DatasetListView.as_view(), name="datasets"),
    # A dataset class's key holds a colon (digits:3), which a slug cannot.
    path(
        "datasets/classes/<str:key>/image.png",
        datasets.DatasetClassImageView.as_view(which="image"),
        name="dataset-class-image",
    ),
    path(
        "datasets/classes/<str:key>/template.png",
        datasets.DatasetClassImageView.as_view(which="template"),
        name="dataset-class-template",
    ),
    path("architectures/", views.ArchitectureListView.as_view(), name="architectures"),
    path("experiments/", views.ExperimentListView.as_view(), name="experiment-list"),
    path(
        "experiments/estimate/",
        estimate.ExperimentEstimateView.as_view(),
        name="experiment-estimate",
    ),
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
    path(
        "experiments/<int:pk>/results/<int:position>/extras/<int:index>.png",
        views.ResultExtraImageView.as_view(),
        name="result-extra-image",
    ),
    path("experiments/export/csv/", derived.ExperimentExportCsvView.as_view(), name="export-csv"),
    path(
        "experiments/export/json/", derived.ExperimentExportJsonView.as_view(), name="export-json"
    ),
    path(
        "experiments/<int:pk>/rerun/",
        derived.ExperimentRerunView.as_view(),
        name="experiment-rerun",
    ),
    path(
        "experiments/<int:pk>/revisualize/",
        derived.ExperimentRevisualizeView.as_view(),
        name="experiment-revisualize",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/array/",
        derived.ResultArrayView.as_view(),
        name="result-array",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/image.npy",
        derived.ResultNpyView.as_view(),
        name="result-npy",
    ),
]
