"""Routes of the sweeps' API, included into /api/v1/ (URL names in the ``api`` namespace)."""

from __future__ import annotations

from django.urls import path

from sweeps import api

urlpatterns = [
    path("sweeps/", api.SweepListView.as_view(), name="sweep-list"),
    path("sweeps/<int:pk>/", api.SweepDetailView.as_view(), name="sweep-detail"),
    path("sweeps/<int:pk>/cancel/", api.SweepCancelView.as_view(), name="sweep-cancel"),
    path("sweeps/<int:pk>/export.csv", api.SweepExportCsvView.as_view(), name="sweep-export-csv"),
    path(
        "sweeps/<int:pk>/export.json", api.SweepExportJsonView.as_view(), name="sweep-export-json"
    ),
]
