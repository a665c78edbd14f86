"""Routes of the studies API, included into /api/v1/ (URL names in the ``api`` namespace)."""

from __future__ import annotations

from django.urls import path

from studies import api

urlpatterns = [
    path("studies/", api.StudyListView.as_view(), name="study-list"),
    path("studies/join/", api.JoinView.as_view(), name="study-join"),
    path("studies/mine/", api.ParticipationView.as_view(), name="study-mine"),
    path("studies/<int:pk>/", api.StudyDetailView.as_view(), name="study-detail"),
    path(
        "studies/<int:pk>/participants/",
        api.ParticipantListView.as_view(),
        name="study-participants",
    ),
    path("studies/<int:pk>/export/csv/", api.StudyExportCsvView.as_view(), name="study-export-csv"),
    path(
        "studies/<int:pk>/export/json/", api.StudyExportJsonView.as_view(), name="study-export-json"
    ),
    path("events/", api.EventListView.as_view(), name="events"),
]
