"""The estimated worker time of a run, before it is started: the builder shows it live.

The settings are validated as a create validates them (the same serializer, then the same
service check), but nothing is stored or queued. A run over this server's compute budget is
still estimated, so that the page can say by how much: a create with those settings is
refused with a 400 on ``epochs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from experiments import services
from experiments.api.schema import FIELD_ERRORS
from experiments.api.serializers import ExperimentCreateSerializer
from models_zoo.budget import estimate_seconds
from models_zoo.config import ConfigError, RunConfig


class EstimateSerializer(serializers.Serializer):
    seconds = serializers.FloatField(help_text="Estimated seconds of worker time.")
    limit = serializers.IntegerField(help_text="The most seconds a run may take on this server.")


def _over_budget(error: ValidationError, data: Mapping[str, Any]) -> RunConfig | None:
    """The configuration, when the only fault the service found is the compute budget."""
    if set(error.message_dict) != {"epochs"}:
        return None
    try:
        # The seed does not change the estimate; the service draws one when none is given.
        run_config = RunConfig.from_dict({**data, "seed": data.get("seed") or 0})
    except ConfigError:
        return None
    return run_config if estimate_seconds(run_config) > settings.MAX_RUN_SECONDS else None


class ExperimentEstimateView(generics.GenericAPIView):
    """How long a run with these settings would keep a worker busy, against this server's
    limit per run. Nothing is stored or started; invalid settings are a 400 as for a create."""

    serializer_class = ExperimentCreateSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "experiment_estimate"

    @extend_schema(
        request=ExperimentCreateSerializer,
        responses={200: EstimateSerializer, 400: FIELD_ERRORS},
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            run_config = services.validate_config(user=request.user, config=data)
        except ValidationError as error:
            over = _over_budget(error, data)
            if over is None:
                raise
            run_config = over
        estimate = {"seconds": estimate_seconds(run_config), "limit": settings.MAX_RUN_SECONDS}
        return Response(EstimateSerializer(estimate).data)
