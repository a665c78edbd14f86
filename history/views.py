"""HTML pages of the comparison history: the history itself and the compare view.

The history is rendered on the server (filters and pages are links, so they work without a
script and stay fast); its script draws each row's title from the data handed to it (with the
renderer of the Model Builder's rows), edits tags and notes, remembers the selection and
starts the paper's scenarios. The compare page is a shell its script fills from the compare API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from experiments.filters import DEPRECATED_ALIASES, ExperimentFilterSet
from experiments.models import ClassResult, Experiment
from experiments.selectors import experiment_list
from experiments.views import API_ROOT, initial_image_thumbnails
from history import comparison, scenarios, selectors
from history.api import compare_page_url
from models_zoo.architectures import list_architectures

HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True)
class ResultCard:
    result: ClassResult
    image_url: str
    template_url: str


def result_cards(experiment: Experiment) -> list[ResultCard]:
    """The row's cards with their image addresses, reversed once per row, not per card."""
    prefix = reverse("api:result-image", args=[experiment.pk, 0]).removesuffix("0/image.png")
    return [
        ResultCard(
            result=result,
            image_url=f"{prefix}{result.position}/image.png",
            template_url=f"{prefix}{result.position}/template.png",
        )
        for result in experiment.results.all()
    ]


@dataclass(frozen=True)
class HistoryRow:
    experiment: Experiment
    results: list[ResultCard]

    @property
    def accuracy(self) -> str:
        return percent(self.experiment.accuracy)

    @property
    def val_accuracy(self) -> str:
        return percent(self.experiment.val_accuracy)


def percent(value: float | None) -> str:
    """A fraction as the builder's rows show it: 87.5%, or a dash when there is none."""
    return "\u2013" if value is None else f"{value * 100:.1f}%"


def _architecture_labels() -> dict[str, str]:
    return {architecture.name: architecture.label for architecture in list_architectures()}


# What a row's title shows; the page script draws it with the Model Builder's renderer.
TITLE_SETTINGS = ("model", "initial_image", "step_size", "epochs")


def _title_data(experiment: Experiment) -> dict[str, Any]:
    config = {key: experiment.config.get(key) for key in TITLE_SETTINGS}
    return {"id": experiment.pk, "number": experiment.number, "config": config}


def _current_names(query: QueryDict) -> QueryDict | None:
    """The query with the filters' deprecated names replaced by the current ones (a name
    given both ways keeps its current value), or None when it uses none of them."""
    if not any(alias in query for alias in DEPRECATED_ALIASES):
        return None
    renamed = query.copy()
    for alias, name in DEPRECATED_ALIASES.items():
        values = renamed.pop(alias, [])
        if name not in renamed:
            renamed.setlist(name, values)
    return renamed


@login_required
def history(request: HttpRequest) -> HttpResponse:
    # An old link (?from=, ?to=) still works, and the form then shows the dates it asks for.
    renamed = _current_names(request.GET)
    if renamed is not None:
        return redirect(f"{reverse('history')}?{renamed.urlencode()}")
    # The rows show no curves or matrices: leave those (the bulk of each row) in the database.
    experiments = experiment_list(user=request.user).defer(
        "history", "cross_r", "training", "timings"
    )
    # An invalid filter is said beside its field; the valid ones still apply.
    filters = ExperimentFilterSet(request.GET, queryset=experiments)
    form = filters.form
    page = Paginator(filters.qs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        HistoryRow(experiment=experiment, results=result_cards(experiment))
        for experiment in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    saved = [
        {"comparison": item, "url": compare_page_url(item.experiment_ids, item.options)}
        for item in selectors.saved_comparison_list(user=request.user)
    ]
    context = {
        "form": form,
        "facets": selectors.history_facets(user=request.user),
        "statuses": Experiment.Status.choices,
        "page": page,
        "rows": rows,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
        "query": query.urlencode(),
        "saved": saved,
        "scenarios": list(scenarios.SCENARIOS.values()),
        "history_settings": {
            "api": API_ROOT,
            "compareUrl": reverse("compare"),
            "architectures": _architecture_labels(),
            "initialImages": {
                picture.key: {"name": picture.name, "src": picture.src}
                for picture in initial_image_thumbnails()
            },
            "titles": [_title_data(row.experiment) for row in rows],
        },
    }
    return render(request, "experiments/history.html", context)


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """The compare page; its ids must all be the user's (another user's id is a 404)."""
    error = ""
    ids: list[int] = []
    try:
        ids = comparison.parse_ids(request.GET.get("ids"))
    except ValidationError as invalid:
        error = " ".join(invalid.messages)
    if ids:
        owned = Experiment.objects.filter(owner=request.user, pk__in=ids).count()
        if owned != len(ids):
            raise Http404("No such experiment.")
    # A paper scenario's comparison says which question it answers (an unknown key, from an
    # edited link, says nothing).
    scenario = scenarios.SCENARIOS.get(request.GET.get("scenario", ""))
    context: dict[str, Any] = {
        "error": error,
        "scenario": scenario,
        "compare_settings": {
            "scenario": scenario.key if scenario else None,
            "api": API_ROOT,
            "architectures": _architecture_labels(),
            "historyUrl": reverse("history"),
            "pollMs": 1000,
        },
    }
    return render(request, "experiments/compare.html", context, status=400 if error else 200)
