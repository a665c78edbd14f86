"""Routes of the history's API, part of /api/v1/."""

from __future__ import annotations

from django.urls import path

from history import api

urlpatterns = [
    path("history/", api.HistoryView.as_view(), name="history"),
    path("history/table/", api.RunTableView.as_view(), name="run-table"),
    path("history/table/csv/", api.RunTableCsvView.as_view(), name="run-table-csv"),
    path("compare/", api.CompareView.as_view(), name="compare"),
    path("compare/csv/", api.CompareCsvView.as_view(), name="compare-csv"),
    path(
        "experiments/<int:pk>/annotations/",
        api.ExperimentAnnotationsView.as_view(),
        name="experiment-annotations",
    ),
    path(
        "experiments/<int:pk>/results/<int:position>/snapshots/<int:frame>.png",
        api.SnapshotFrameView.as_view(),
        name="result-snapshot",
    ),
    path("comparisons/", api.SavedComparisonListView.as_view(), name="comparison-list"),
    path(
        "comparisons/<int:pk>/",
        api.SavedComparisonDetailView.as_view(),
        name="comparison-detail",
    ),
    path("scenarios/", api.ScenarioListView.as_view(), name="scenario-list"),
    path("scenarios/<slug:key>/", api.ScenarioRunView.as_view(), name="scenario-run"),
]
