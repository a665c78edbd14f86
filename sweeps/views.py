"""The sweeps' pages: the list of the user's sweeps and one sweep's page (its script reads
the API). Another user's sweep is a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from experiments.views import SETTING_LABELS
from sweeps import selectors


@login_required
def index(request: HttpRequest) -> HttpResponse:
    sweeps = list(selectors.sweep_list(user=request.user))
    rows = [
        {
            "sweep": sweep,
            "status": selectors.status_of(sweep),
            "counts": selectors.counts_of(sweep),
            "urls": selectors.urls_of(sweep),
        }
        for sweep in sweeps
    ]
    return render(request, "sweeps/index.html", {"sweeps": sweeps, "rows": rows})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    sweep = selectors.sweep_get(user=request.user, pk=pk)
    settings = {"labels": SETTING_LABELS}
    return render(request, "sweeps/detail.html", {"sweep": sweep, "sweep_settings": settings})
