"""The sweeps' API: thin views over the services and selectors; every queryset is the
requesting user's own, so another user's sweep is a 404."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from experiments.api.schema import DETAIL, FIELD_ERRORS, TOO_MANY
from experiments.exports import csv_text
from sweeps import exports, selectors, services
from sweeps.models import Sweep

SWEEP_DETAIL = OpenApiResponse(
    response={"type": "object", "additionalProperties": {}},
    description="The sweep: its runs, the summary per setting values and class, the claims "
    "(see docs/sweeps.md)",
)


SEEDS_RANGE = f"must be from {services.MIN_SEEDS} to {services.MAX_SEEDS}"


class SweepCreateSerializer(serializers.Serializer):
    """A new sweep: the base settings, how many seeds, the settings to vary."""

    config = serializers.JSONField(help_text="The run settings every member starts from.")
    seeds = serializers.IntegerField(
        min_value=services.MIN_SEEDS,
        max_value=services.MAX_SEEDS,
        error_messages={"min_value": SEEDS_RANGE, "max_value": SEEDS_RANGE},
        help_text="Seeds per combination of values: the base seed, base + 1, ...",
    )
    vary = serializers.JSONField(
        required=False,
        default=dict,
        help_text='{"setting": [values, ...]}: at most two settings; omitted: a seed group.',
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=services.MAX_NAME,
        trim_whitespace=False,
    )


class SweepListSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Sweep
        fields = [
            "id",
            "number",
            "name",
            "status",
            "created_at",
            "finished_at",
            "config",
            "vary",
            "seeds",
            "counts",
            "urls",
        ]

    def get_status(self, sweep: Sweep) -> str:
        return selectors.status_of(sweep)

    def get_counts(self, sweep: Sweep) -> dict[str, int]:
        return selectors.counts_of(sweep)

    def get_urls(self, sweep: Sweep) -> dict[str, str]:
        return selectors.urls_of(sweep)


class OwnSweepMixin:
    request: Request

    def get_queryset(self) -> QuerySet[Sweep]:
        return selectors.sweep_list(user=self.request.user)


@extend_schema_view(
    get=extend_schema(responses={200: SweepListSerializer(many=True)}),
    post=extend_schema(
        request=SweepCreateSerializer,
        responses={201: SWEEP_DETAIL, 400: FIELD_ERRORS, 429: TOO_MANY},
    ),
)
class SweepListView(OwnSweepMixin, generics.ListCreateAPIView):
    """The user's sweeps (newest first, paginated); POST queues a new one."""

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.request.method == "POST":
            return SweepCreateSerializer
        return SweepListSerializer

    def get_throttles(self) -> list[Any]:
        if self.request.method == "POST":
            self.throttle_scope = "experiment_create"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = SweepCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sweep = services.sweep_create(user=request.user, **body.validated_data)
        detail = selectors.sweep_detail(user=request.user, pk=sweep.pk)
        # The answer names the new runs by id; the detail lists them in full.
        detail["experiments"] = [row["id"] for row in detail["experiments"]]
        return Response(detail, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(responses={200: SWEEP_DETAIL, 404: DETAIL}),
    delete=extend_schema(
        description="Deletes the sweep and all its runs with their files (running ones stop).",
        responses={204: None, 404: DETAIL},
    ),
)
class SweepDetailView(OwnSweepMixin, generics.RetrieveDestroyAPIView):
    """One of the user's sweeps, with its runs, summary and claims."""

    serializer_class = SweepListSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(selectors.detail_of(self.get_object()))

    def perform_destroy(self, instance: Sweep) -> None:
        services.sweep_delete(user=self.request.user, sweep=instance)


class SweepCancelView(OwnSweepMixin, generics.GenericAPIView):
    """Cancels every queued or running run of the sweep; 409 when none is left."""

    serializer_class = SweepListSerializer

    @extend_schema(request=None, responses={200: SWEEP_DETAIL, 404: DETAIL, 409: DETAIL})
    def post(self, request: Request, pk: int) -> Response:
        services.sweep_cancel(user=request.user, sweep=self.get_object())
        return Response(selectors.sweep_detail(user=request.user, pk=pk))


def _download(content: str, content_type: str, sweep: Sweep, extension: str) -> HttpResponse:
    slug = re.sub(r"[^a-z0-9]+", "-", sweep.name.lower()).strip("-")[:40]
    name = f"sweep-{sweep.number}" + (f"-{slug}" if slug else "")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


class SweepExportCsvView(OwnSweepMixin, generics.GenericAPIView):
    """One row per run and class: the sweep, run number, seed, varied values, class, |r|,
    accuracies, status. Safe to open in a spreadsheet."""

    serializer_class = SweepListSerializer

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="CSV"),
            404: DETAIL,
        }
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        sweep = self.get_object()
        columns, rows = exports.sweep_rows(sweep, selectors.detail_of(sweep))
        return _download(csv_text(columns, rows), "text/csv; charset=utf-8", sweep, "csv")


class SweepExportJsonView(OwnSweepMixin, generics.GenericAPIView):
    """The sweep's detail JSON, as a file."""

    serializer_class = SweepListSerializer

    @extend_schema(responses={200: SWEEP_DETAIL, 404: DETAIL})
    def get(self, request: Request, pk: int) -> HttpResponse:
        sweep = self.get_object()
        content = json.dumps(selectors.detail_of(sweep), default=str, indent=1)
        return _download(content, "application/json", sweep, "json")
