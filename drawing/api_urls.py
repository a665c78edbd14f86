"""Routes of the drawn classes' and highlights' API, part of /api/v1/."""

from __future__ import annotations

from django.urls import path

from drawing import api

urlpatterns = [
    path("classes/", api.DrawnClassListView.as_view(), name="class-list"),
    path("classes/<int:pk>/", api.DrawnClassDetailView.as_view(), name="class-detail"),
    path("classes/convert/", api.ImageConvertView.as_view(), name="class-convert"),
    path("highlights/", api.HighlightListView.as_view(), name="highlight-list"),
    path("highlights/<int:pk>/", api.HighlightDetailView.as_view(), name="highlight-detail"),
    path(
        "experiments/<int:pk>/highlight-baseline/",
        api.HighlightBaselineView.as_view(),
        name="experiment-highlight-baseline",
    ),
    path(
        "experiments/<int:pk>/correct/",
        api.HighlightCorrectionView.as_view(),
        name="experiment-highlight-correction",
    ),
]
