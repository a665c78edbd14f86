"""Routes of the "inside the model" API, part of /api/v1/ (URL names in ``api``)."""

from __future__ import annotations

from django.urls import path

from inspector import api, attributions_api, units_api

urlpatterns = [
    path(
        "experiments/<int:pk>/probe/",
        api.ExperimentProbeView.as_view(),
        name="experiment-probe",
    ),
    path(
        "experiments/<int:pk>/attributions/",
        attributions_api.ExperimentAttributionView.as_view(),
        name="experiment-attributions",
    ),
    path(
        "experiments/<int:pk>/units/",
        units_api.ExperimentUnitsView.as_view(),
        name="experiment-units",
    ),
]
