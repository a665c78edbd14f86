"""Routes of the JSON API, mounted at /api/v1/."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from experiments.api import classes, compare, extra, views

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
    # The user's own classes and highlights.
    path("classes/", classes.DrawnClassListView.as_view(), name="class-list"),
    path("classes/<int:pk>/", classes.DrawnClassDetailView.as_view(), name="class-detail"),
    path("classes/convert/", classes.ImageConvertView.as_view(), name="class-convert"),
    path("highlights/", classes.HighlightListView.as_view(), name="highlight-list"),
    path("highlights/<int:pk>/", classes.HighlightDetailView.as_view(), name="highlight-detail"),
    path(
        "experiments/<int:pk>/highlight-baseline/",
        classes.HighlightBaselineView.as_view(),
        name="experiment-highlight-baseline",
    ),
    # Interactive docs from our own static files (drf-spectacular-sidecar): they work offline,
    # and the split view keeps every script in a file, as the Content-Security-Policy requires.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Re-run, re-visualize, raw arrays and exports of the user's experiments.
    path("experiments/export/csv/", extra.ExperimentExportCsvView.as_view(), name="export-csv"),
    path("experiments/export/json/", extra.ExperimentExportJsonView.as_view(), name="export-json"),
    path(
        "experiments/<int:pk>/rerun/", extra.ExperimentRerunView.as_view(), name="experiment-rerun"
    ),
    path(
        "experiments/<int:pk>/revisualize/",
        extra.ExperimentRevisualizeView.as_view(),
        name="experiment-revisualize",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/array/",
        extra.ResultArrayView.as_view(),
        name="result-array",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/image.npy",
        extra.ResultNpyView.as_view(),
        name="result-npy",
    ),
    # Evaluation studies and the interaction log.
    path("", include("studies.urls")),
    # The comparison history.
    path("history/", compare.HistoryView.as_view(), name="history"),
    path("compare/", compare.CompareView.as_view(), name="compare"),
    path("compare/csv/", compare.CompareCsvView.as_view(), name="compare-csv"),
    path(
        "experiments/<int:pk>/annotations/",
        compare.ExperimentAnnotationsView.as_view(),
        name="experiment-annotations",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/snapshots/<int:frame>.png",
        compare.SnapshotFrameView.as_view(),
        name="result-snapshot",
    ),
    path("comparisons/", compare.SavedComparisonListView.as_view(), name="comparison-list"),
    path(
        "comparisons/<int:pk>/",
        compare.SavedComparisonDetailView.as_view(),
        name="comparison-detail",
    ),
    path("scenarios/", compare.ScenarioListView.as_view(), name="scenario-list"),
    path("scenarios/<slug:key>/", compare.ScenarioRunView.as_view(), name="scenario-run"),
]
