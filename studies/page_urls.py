"""Routes of the studies' pages (the API's are in studies/urls.py)."""

from __future__ import annotations

from django.urls import path

from studies import views

urlpatterns = [path("studies/join/", views.join, name="study-join-page")]
