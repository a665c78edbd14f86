"""API of the comparison history: the history's rows and filters, the class-aligned
comparison (JSON and CSV), tags and notes, saved comparisons, snapshot frames and the
paper's scenarios. Every queryset is the signed-in user's own; the services hold the rules,
and their errors rise to the API's exception handler (a 400 naming the field, or a 429).
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from experiments import selectors as experiment_selectors
from experiments.api.schema import DETAIL, FIELD_ERRORS, TOO_MANY
from experiments.api.serializers import ExperimentSerializer
from experiments.filters import ExperimentFilterSet
from experiments.models import Experiment
from history import comparison, scenarios, selectors, services, table
from history.models import SavedComparison
from history.signals import comparison_opened
from models_zoo.config import SEED_MAX

IDS_PARAMETER = OpenApiParameter(
    "ids", str, description="Two or more of your experiment ids, comma-separated: 3,7,9"
)
BASE_PARAMETER = OpenApiParameter(
    "base", int, description="The experiment the change in |r| is measured against."
)
ALL_PARAMETER = OpenApiParameter(
    "all", str, description="1: list every setting; 0 (default): only those that differ."
)


def _comparison(request: Request, *, show_all: bool | None = None) -> dict[str, Any]:
    """The comparison the query string asks for; ValidationError or Http404 otherwise."""
    ids = comparison.parse_ids(request.query_params.get("ids"))
    base_raw = request.query_params.get("base")
    base: int | None = None
    if base_raw not in (None, ""):
        try:
            base = int(base_raw)
        except ValueError:
            raise ValidationError({"base": ["Give the base as an experiment id."]}) from None
        if base not in ids:
            raise ValidationError({"base": ["The base must be one of the compared experiments."]})
    experiments = selectors.experiments_for_compare(user=request.user, ids=ids)
    if show_all is None:
        show_all = comparison.parse_flag(request.query_params.get("all"))
    return comparison.comparison_data(experiments, base_id=base, show_all=show_all)


class CompareView(generics.GenericAPIView):
    """Class-aligned data of 2 or more of your experiments: one row per class, one column
    per experiment (null where it did not train the class), the settings that differ, the
    training curves and cross-class |r|. Another user's id is a 404."""

    @extend_schema(
        parameters=[IDS_PARAMETER, BASE_PARAMETER, ALL_PARAMETER],
        responses={
            200: OpenApiResponse(description="The comparison"),
            400: FIELD_ERRORS,
            404: None,
        },
    )
    def get(self, request: Request) -> Response:
        data = _comparison(request)
        ids = [row["id"] for row in data["experiments"]]
        comparison_opened.send(sender=type(self), user=request.user, ids=ids)
        return Response(data)


class CompareCsvView(generics.GenericAPIView):
    """The comparison's numbers as CSV: one line per experiment and class."""

    @extend_schema(
        parameters=[IDS_PARAMETER, BASE_PARAMETER],
        responses={(200, "text/csv"): OpenApiResponse(description="CSV"), 400: FIELD_ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        data = _comparison(request, show_all=True)
        ids = "-".join(str(experiment["id"]) for experiment in data["experiments"])
        response = HttpResponse(comparison.comparison_csv(data), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="comparison-{ids}.csv"'
        return response


class HistoryRowSerializer(ExperimentSerializer):
    class Meta(ExperimentSerializer.Meta):
        fields = [*ExperimentSerializer.Meta.fields, "tags", "note"]
        read_only_fields = fields


class HistoryView(generics.ListAPIView):
    """Your experiments narrowed by the filters the experiment list takes (model, class, tag,
    status, kind, created_after and created_before as YYYY-MM-DD, order=newest|oldest),
    paginated, with the filters' choices under ``facets``."""

    serializer_class = HistoryRowSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExperimentFilterSet
    # Only the schema reads this (for the filters' model); requests go through get_queryset.
    queryset = Experiment.objects.none()

    def get_queryset(self) -> QuerySet[Experiment]:
        return experiment_selectors.experiment_list(user=self.request.user)

    @extend_schema(responses={200: HistoryRowSerializer(many=True), 400: FIELD_ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = self.list(request, *args, **kwargs)
        response.data["facets"] = selectors.history_facets(user=request.user)
        return response


class TextField(serializers.CharField):
    """Text only: a number is refused, not turned into its digits."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class AnnotationsSerializer(serializers.ModelSerializer):
    # Types only: the words a tag may hold and the note's length are the rules of
    # services.experiment_annotate, whose errors name their field.
    # null, like a field left out, keeps what is stored.
    tags = serializers.ListField(child=TextField(), required=False, allow_null=True)
    note = TextField(required=False, allow_blank=True, allow_null=True)

    class Meta:
        model = Experiment
        fields = ["id", "tags", "note"]
        read_only_fields = ["id"]


class ExperimentAnnotationsView(mixins.UpdateModelMixin, generics.GenericAPIView):
    """PATCH your own tags and/or note of one experiment."""

    serializer_class = AnnotationsSerializer

    def get_queryset(self) -> QuerySet[Experiment]:
        return Experiment.objects.filter(owner=self.request.user).only("id", "tags", "note")

    @extend_schema(responses={200: AnnotationsSerializer, 400: FIELD_ERRORS, 404: DETAIL})
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        services.experiment_annotate(
            user=self.request.user, experiment=serializer.instance, **serializer.validated_data
        )


def compare_page_url(ids: list[int], options: dict[str, Any] | None = None) -> str:
    options = options or {}
    base = options.get("base")
    if isinstance(base, bool) or base not in ids:
        # A comparison saved before its options were checked may hold any base at all.
        base = ids[0]
    query = f"ids={','.join(str(pk) for pk in ids)}"
    query += f"&all={1 if options.get('all') is True else 0}"
    query += f"&base={base}"
    scenario = options.get("scenario")
    if isinstance(scenario, str) and scenario in scenarios.SCENARIOS:
        query += f"&scenario={scenario}"
    return f"{reverse('compare')}?{query}"


class SavedComparisonSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SavedComparison
        fields = ["id", "name", "experiment_ids", "options", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, saved: SavedComparison) -> str:
        return compare_page_url(saved.experiment_ids, saved.options)


class SavedComparisonCreateSerializer(serializers.ModelSerializer):
    # A comparison to save; the answer is the saved comparison. Whose ids may be compared and
    # what the options may say are the rules of services.saved_comparison_create.
    experiment_ids = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=services.MIN_COMPARED,
        max_length=services.MAX_COMPARED,
    )
    options = serializers.DictField(
        required=False,
        help_text='{"base": one of the ids, "all": true or false, "scenario": the key of the '
        "paper scenario it answers (optional)}",
    )

    class Meta:
        model = SavedComparison
        fields = ["name", "experiment_ids", "options"]

    def to_representation(self, instance: SavedComparison) -> dict[str, Any]:
        return SavedComparisonSerializer(instance, context=self.context).data


class SavedComparisonListView(generics.ListCreateAPIView):
    """Your saved comparisons, newest first; POST saves one (name, experiment_ids, options)."""

    # The list has always been a plain JSON array: paging it would change its shape.
    pagination_class = None

    def get_queryset(self) -> QuerySet[SavedComparison]:
        return selectors.saved_comparison_list(user=self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.request.method == "POST":
            return SavedComparisonCreateSerializer
        return SavedComparisonSerializer

    @extend_schema(
        request=SavedComparisonCreateSerializer,
        responses={201: SavedComparisonSerializer, 400: FIELD_ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.saved_comparison_create(
            user=self.request.user, **serializer.validated_data
        )

    def get_success_headers(self, data: Any) -> dict[str, str]:
        # Its "url" is the compare page, not the saved comparison: no Location header.
        return {}


class SavedComparisonDetailView(generics.DestroyAPIView):
    """DELETE one of your saved comparisons (the experiments stay)."""

    serializer_class = SavedComparisonSerializer

    def get_queryset(self) -> QuerySet[SavedComparison]:
        return selectors.saved_comparison_list(user=self.request.user)

    def perform_destroy(self, instance: SavedComparison) -> None:
        services.saved_comparison_delete(user=self.request.user, comparison=instance)


def snapshot_png(image: np.ndarray) -> bytes:
    """A snapshot as a PNG: min-max scaled like the paper's figures, except a flat image (the
    black start, say), which has no range to scale: it shows its own value, clamped to
    [0, 1], instead of the mid-grey that scaling gives every constant image."""
    from models_zoo.render import to_png

    low, high = float(np.min(image)), float(np.max(image))
    if np.isfinite(low) and np.isfinite(high) and high - low < 1e-12:
        return to_png(np.clip(image, 0.0, 1.0), normalise=False)
    return to_png(image)


class SnapshotFrameView(generics.GenericAPIView):
    """Frame ``frame`` of the images a class's generation went through, as a 28x28 PNG."""

    @extend_schema(
        responses={(200, "image/png"): OpenApiResponse(description="28x28 PNG"), 404: DETAIL}
    )
    def get(self, request: Request, pk: int, position: int, frame: int) -> HttpResponse:
        stored = selectors.snapshots_get(user=request.user, experiment_pk=pk, position=position)
        if stored is None:
            raise Http404("No snapshots were recorded for this class.")
        frames = np.load(io.BytesIO(stored), allow_pickle=False)
        if frame >= len(frames):
            raise Http404(f"This class has {len(frames)} snapshot frames.")
        response = HttpResponse(snapshot_png(frames[frame]), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class ScenarioListView(generics.GenericAPIView):
    """The paper's comparisons that one POST to scenarios/<key>/ queues as a set."""

    @extend_schema(responses=OpenApiResponse(description="Key, title, description, runs"))
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "key": scenario.key,
                    "title": scenario.title,
                    "description": scenario.description,
                    "runs": [{"model": m, "classes": list(c)} for m, c in scenario.runs],
                }
                for scenario in scenarios.SCENARIOS.values()
            ]
        )


class ScenarioRunView(generics.GenericAPIView):
    """Queues one of the paper's scenarios (paper preset, one shared seed) as a set: all of
    its experiments or, when they do not fit in your free queue places, none (429)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_create"

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(description="The set"),
            400: FIELD_ERRORS,
            404: DETAIL,
            429: TOO_MANY,
        },
    )
    def post(self, request: Request, key: str) -> Response:
        scenario = scenarios.SCENARIOS.get(key)
        if scenario is None:
            raise Http404("No such scenario.")
        seed = secrets.randbelow(SEED_MAX + 1)
        experiments = services.experiment_create_set(
            user=request.user, configs=scenario.configs(seed), tags=[f"paper-{key}"]
        )
        ids = [experiment.pk for experiment in experiments]
        url = compare_page_url(ids, {"scenario": key})
        return Response(
            {"ids": ids, "seed": seed, "compare_url": url, "wait_url": f"{url}&wait=1"},
            status=status.HTTP_201_CREATED,
        )


class _RunTableMixin:
    """The run table of the signed-in user's experiments, narrowed by the history's filters
    (a bad filter is a 400 naming it), the text filter ``q`` and sorted by ``sort``."""

    request: Request
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExperimentFilterSet
    # Only the schema reads this (for the filters' model); requests go through get_queryset.
    queryset = Experiment.objects.none()

    def get_queryset(self) -> QuerySet[Experiment]:
        return Experiment.objects.filter(owner=self.request.user)

    def run_table(self) -> table.Table:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        return table.run_table(
            user=self.request.user,
            queryset=queryset,
            q=self.request.query_params.get("q"),
            sort=self.request.query_params.get("sort"),
        )


TABLE_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description="Words every row shown holds (number, model, "
        "classes, seed, status, tags, sweep), in any case.",
    ),
    OpenApiParameter(
        "sort",
        str,
        description="A column's key to sort by, '-' first for "
        "descending: -accuracy, r:line. Runs without a value come last.",
    ),
]


class RunTableView(_RunTableMixin, generics.GenericAPIView):
    """Every one of your runs matching the filters as a row of figures (at most 2000): the
    columns (per-class |r| for each class among them) and the rows, sorted."""

    @extend_schema(
        filters=True,
        parameters=TABLE_PARAMETERS,
        responses={200: OpenApiResponse(description="The table"), 400: FIELD_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(self.run_table().as_dict())


class RunTableCsvView(_RunTableMixin, generics.GenericAPIView):
    """The run table as CSV, its rows in the same order, with the columns named in
    ``columns`` (comma-separated keys; all by default)."""

    @extend_schema(
        filters=True,
        parameters=[
            *TABLE_PARAMETERS,
            OpenApiParameter("columns", str, description="Column keys: number,model,r:line"),
        ],
        responses={(200, "text/csv"): OpenApiResponse(description="CSV"), 400: FIELD_ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        run_table = self.run_table()
        columns = table.parse_columns(request.query_params.get("columns"), run_table)
        response = HttpResponse(
            table.table_csv(run_table, columns), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="runs.csv"'
        return response
