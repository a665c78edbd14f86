"""API of the comparison history: the history's rows and filters, the class-aligned
comparison (JSON and CSV), tags and notes, saved comparisons, snapshot frames and the
paper's scenarios. Every read goes through the selectors, filtered by the signed-in user.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from experiments import selectors as experiment_selectors
from experiments import services as experiment_services
from experiments.api.errors import bad_request
from experiments.api.pagination import ExperimentPagination
from experiments.api.serializers import ExperimentSerializer
from history import comparison, scenarios, selectors, services
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


class CompareView(APIView):
    """Class-aligned data of 2 or more of your experiments: one row per class, one column
    per experiment (null where it did not train the class), the settings that differ, the
    training curves and cross-class |r|. Another user's id is a 404."""

    @extend_schema(
        parameters=[IDS_PARAMETER, BASE_PARAMETER, ALL_PARAMETER],
        responses={200: OpenApiResponse(description="The comparison"), 404: None},
    )
    def get(self, request: Request) -> Response:
        try:
            data = _comparison(request)
        except ValidationError as error:
            return bad_request(error)
        ids = [row["id"] for row in data["experiments"]]
        comparison_opened.send(sender=type(self), user=request.user, ids=ids)
        return Response(data)


class CompareCsvView(APIView):
    """The comparison's numbers as CSV: one line per experiment and class."""

    @extend_schema(
        parameters=[IDS_PARAMETER, BASE_PARAMETER],
        responses={(200, "text/csv"): OpenApiResponse(description="CSV")},
    )
    def get(self, request: Request) -> HttpResponse:
        try:
            data = _comparison(request, show_all=True)
        except ValidationError as error:
            return bad_request(error)
        ids = "-".join(str(experiment["id"]) for experiment in data["experiments"])
        response = HttpResponse(comparison.comparison_csv(data), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="comparison-{ids}.csv"'
        return response


class HistoryRowSerializer(ExperimentSerializer):
    class Meta(ExperimentSerializer.Meta):
        fields = [*ExperimentSerializer.Meta.fields, "tags", "note"]
        read_only_fields = fields


class HistoryView(APIView):
    """Your experiments narrowed by the history's filters (model, class, tag, status, from,
    to as YYYY-MM-DD, order=newest|oldest), paginated, with the filters' choices."""

    pagination_class = ExperimentPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=False)
            for name in ("model", "class", "tag", "status", "from", "to", "order")
        ],
        responses=HistoryRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        form = comparison.HistoryFilterForm(request.query_params)
        if not form.is_valid():
            return Response(form.errors_by_query_name(), status=status.HTTP_400_BAD_REQUEST)
        experiments = selectors.experiment_history(user=request.user, filters=form.filters())
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(experiments, request, view=self)
        response = paginator.get_paginated_response(HistoryRowSerializer(page, many=True).data)
        response.data["facets"] = selectors.history_facets(user=request.user)
        return response


class AnnotationsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class ExperimentAnnotationsView(APIView):
    """PATCH your own tags and/or note of one experiment."""

    @extend_schema(request=AnnotationsSerializer, responses=AnnotationsSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        experiment = experiment_selectors.experiment_get(user=request.user, pk=pk)
        if not isinstance(request.data, dict):
            return Response(
                {"non_field_errors": ["Send an object with tags and/or note."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            services.experiment_annotate(
                user=request.user,
                experiment=experiment,
                tags=request.data.get("tags"),
                note=request.data.get("note"),
            )
        except ValidationError as error:
            return bad_request(error)
        return Response({"id": experiment.pk, "tags": experiment.tags, "note": experiment.note})


class SavedComparisonSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SavedComparison
        fields = ["id", "name", "experiment_ids", "options", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, saved: SavedComparison) -> str:
        return compare_page_url(saved.experiment_ids, saved.options)


def compare_page_url(ids: list[int], options: dict[str, Any] | None = None) -> str:
    options = options or {}
    query = f"ids={','.join(str(pk) for pk in ids)}"
    query += f"&all={1 if options.get('all') else 0}"
    query += f"&base={options.get('base') or ids[0]}"
    return f"{reverse('compare')}?{query}"


class SavedComparisonCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    experiment_ids = serializers.ListField(child=serializers.IntegerField(), min_length=2)
    options = serializers.DictField(
        required=False, help_text='{"base": one of the ids, "all": true or false}'
    )


class SavedComparisonListView(APIView):
    """Your saved comparisons, newest first; POST saves one (name, experiment_ids, options)."""

    @extend_schema(responses=SavedComparisonSerializer(many=True))
    def get(self, request: Request) -> Response:
        saved = selectors.saved_comparison_list(user=request.user)
        return Response(SavedComparisonSerializer(saved, many=True).data)

    @extend_schema(
        request=SavedComparisonCreateSerializer, responses={201: SavedComparisonSerializer}
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        try:
            saved = services.saved_comparison_create(
                user=request.user,
                name=data.get("name"),
                experiment_ids=data.get("experiment_ids"),
                options=data.get("options"),
            )
        except ValidationError as error:
            return bad_request(error)
        return Response(SavedComparisonSerializer(saved).data, status=status.HTTP_201_CREATED)


class SavedComparisonDetailView(APIView):
    """DELETE one of your saved comparisons (the experiments stay)."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        saved = selectors.saved_comparison_get(user=request.user, pk=pk)
        services.saved_comparison_delete(user=request.user, comparison=saved)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SnapshotFrameView(APIView):
    """Frame ``frame`` of the images a class's generation went through, as a 28x28 PNG."""

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="28x28 PNG")})
    def get(self, request: Request, pk: int, position: int, frame: int) -> HttpResponse:
        from models_zoo.render import to_png

        stored = selectors.snapshots_get(user=request.user, experiment_pk=pk, position=position)
        if stored is None:
            raise Http404("No snapshots were recorded for this class.")
        frames = np.load(io.BytesIO(stored), allow_pickle=False)
        if frame >= len(frames):
            raise Http404(f"This class has {len(frames)} snapshot frames.")
        response = HttpResponse(to_png(frames[frame]), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class ScenarioListView(APIView):
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


class ScenarioRunView(APIView):
    """Queues one of the paper's scenarios (paper preset, one shared seed) as a set: all of
    its experiments or, when they do not fit in your free queue places, none (429)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_create"

    @extend_schema(request=None, responses={201: OpenApiResponse(description="The set")})
    def post(self, request: Request, key: str) -> Response:
        scenario = scenarios.SCENARIOS.get(key)
        if scenario is None:
            raise Http404("No such scenario.")
        seed = secrets.randbelow(SEED_MAX + 1)
        try:
            experiments = services.experiment_create_set(
                user=request.user, configs=scenario.configs(seed), tags=[f"paper-{key}"]
            )
        except ValidationError as error:
            return bad_request(error)
        except experiment_services.TooManyActive as error:
            return Response({"detail": str(error)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        ids = [experiment.pk for experiment in experiments]
        url = compare_page_url(ids)
        return Response(
            {"ids": ids, "seed": seed, "compare_url": url, "wait_url": f"{url}&wait=1"},
            status=status.HTTP_201_CREATED,
        )
