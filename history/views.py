"""HTML pages of the comparison history: the history itself and the compare view.

The history is rendered on the server (filters and pages are links, so they work without a
script and stay fast); its script draws each row's title from the data handed to it (with the
renderer of the Model Builder's rows), edits tags and notes, remembers the selection and
starts the paper's scenarios. The compare page is a shell its script fills from the compare API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
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
from models_zoo.config import RunConfig

HISTORY_PAGE_SIZE = 20
# ?view=table shows the runs as one table of figures instead of rows with their images.
TABLE_VIEW = "table"
# How often a row still running asks how far it is.
HISTORY_POLL_MS = 1500


@dataclass(frozen=True)
class ResultCard:
    result: ClassResult
    image_url: str
    template_url: str
    reached_text: str

    @property
    def r_text(self) -> str:
        return "" if self.result.r is None else to_fixed(self.result.r, 2)


def count_of(count: int, singular: str) -> str:
    """ "1 step", "12 steps", as lib/format.js countOf writes a count."""
    return f"{count} {singular if count == 1 else singular + 's'}"


def reached_text(result: ClassResult, config: dict[str, Any]) -> str:
    """Whether generation reached the threshold, in the words of the builder's cards."""
    threshold = config.get("threshold", RunConfig.threshold)
    if result.reached:
        return f"\u2713 reached p > {threshold} in {count_of(result.steps, 'step')}"
    cap = count_of(config.get("max_steps", result.steps), "step")
    p = to_fixed(result.probability, 2)
    return f"\u2717 not reached within the cap of {cap} (p = {p})"


def result_cards(experiment: Experiment) -> list[ResultCard]:
    """The row's cards with their image addresses, reversed once per row, not per card."""
    prefix = reverse("api:result-image", args=[experiment.pk, 0]).removesuffix("0/image.png")
    return [
        ResultCard(
            result=result,
            image_url=f"{prefix}{result.position}/image.png",
            template_url=f"{prefix}{result.position}/template.png",
            reached_text=reached_text(result, experiment.config),
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

    @property
    def test_accuracy(self) -> str:
        return percent(self.experiment.test_accuracy)

    @property
    def loss(self) -> str:
        return loss_text(self.experiment.loss)

    @property
    def origin(self) -> str:
        """Where a follow-up came from, by the number its owner knows the source by."""
        number = getattr(self.experiment, "source_number", None)
        if number is None:
            return ""
        if self.experiment.kind == Experiment.Kind.REVISUALIZE:
            return f"new images from the weights of [{number}]"
        return f"a re-run of [{number}]"

    @property
    def progress_percent(self) -> int:
        """The share done as a whole percentage, rounded as the page script rounds it."""
        fraction = (self.experiment.progress or {}).get("fraction") or 0
        if not isinstance(fraction, int | float):
            fraction = 0
        return math.floor(max(0.0, min(1.0, float(fraction))) * 100 + 0.5)

    @property
    def error_text(self) -> str:
        """What a failed or cancelled row says when the run recorded no reason."""
        if self.experiment.error:
            return self.experiment.error
        if self.experiment.status == Experiment.Status.CANCELLED:
            return CANCELLED_TEXT
        return FAILED_TEXT


# The words of every page for a run that ended without results (static/js/lib/status_text.js).
CANCELLED_TEXT = "Cancelled before it finished."
FAILED_TEXT = "The run failed."


# Room for every digit of the largest float: quantize must never run out of precision.
WIDE = Context(prec=400)


def to_fixed(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals as JavaScript's toFixed writes it: a tie rounds up
    (81.25 to 81.3), where Python's format would round it to even (81.2)."""
    if abs(value) >= 1e21:  # toFixed writes such a number in exponent form
        return f"{value:.0e}"
    step = Decimal(1).scaleb(-digits)
    return str(Decimal(value).quantize(step, rounding=ROUND_HALF_UP, context=WIDE))


def percent(value: float | None) -> str:
    """A fraction as every page writes it (lib/format.js formatPercent): 87.5%, or a dash."""
    if value is None or not math.isfinite(value):
        return "\u2013"
    return f"{to_fixed(value * 100, 1)}%"


def loss_text(value: float | None) -> str:
    """A loss as every page writes it (lib/format.js formatLoss): four decimals, or two
    significant digits once it falls below 0.001 (1.2e-4), or a dash."""
    if value is None or not math.isfinite(value):
        return "\u2013"
    if value != 0 and abs(value) < 0.001:
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}e{int(exponent):+d}"
    return to_fixed(value, 4)


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
    # A follow-up's row names its source by number: read with the row, not one query each.
    experiments = (
        experiment_list(user=request.user)
        .defer("history", "cross_r", "training", "timings")
        .annotate(source_number=F("source__number"))
    )
    # An invalid filter is said beside its field; the valid ones still apply.
    filters = ExperimentFilterSet(request.GET, queryset=experiments)
    form = filters.form
    # The run table is drawn by its script from the table API, which takes the same query.
    table_view = request.GET.get("view") == TABLE_VIEW
    page = None
    rows = []
    if not table_view:
        page = Paginator(filters.qs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [
            HistoryRow(experiment=experiment, results=result_cards(experiment))
            for experiment in page.object_list
        ]
    query = request.GET.copy()
    query.pop("page", None)
    # The other view of the same runs, with the same filters.
    other = query.copy()
    for name in ("view", "q", "sort"):
        other.pop(name, None)
    if not table_view:
        other["view"] = TABLE_VIEW
    saved = [
        {"comparison": item, "url": compare_page_url(item.experiment_ids, item.options)}
        for item in selectors.saved_comparison_list(user=request.user)
    ]
    facets = selectors.history_facets(user=request.user)
    context = {
        "form": form,
        "facets": facets,
        # The class filter offers names, in the order a person looks for them.
        "class_choices": sorted(facets["class_names"].items(), key=lambda kv: kv[1].lower()),
        "statuses": Experiment.Status.choices,
        "page": page,
        "rows": rows,
        "filtered": any(
            value for key, value in request.GET.items() if key not in ("page", "view", "sort")
        ),
        "table_view": table_view,
        "other_view_url": f"{reverse('history')}?{other.urlencode()}",
        "table_query": {"q": request.GET.get("q", ""), "sort": request.GET.get("sort", "")},
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
            # Rows still running follow their progress (and show their result when done).
            "active": [
                {
                    "id": row.experiment.pk,
                    "number": row.experiment.number,
                    "status": row.experiment.status,
                    "progress": row.experiment.progress,
                }
                for row in rows
                if row.experiment.is_active
            ],
            "pollMs": HISTORY_POLL_MS,
            "tableUrl": reverse("api:run-table"),
            "tableCsvUrl": reverse("api:run-table-csv"),
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
