"""The studies API: staff manage studies and export them; users join one and log events.

Staff-only endpoints answer 403 to other signed-in users. A participant's events can only be
added (POST): no endpoint updates or deletes them. Errors rise to the site's exception
handler: a service's ``ValidationError`` is a 400 naming the field, and the studies' own
exceptions carry their status (already enrolled or closed: 409, not a participant: 403).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import ScopedRateThrottle

from experiments.api.schema import DETAIL, FIELD_ERRORS
from studies import exports, selectors, services
from studies.models import Participant, Study
from studies.serializers import (
    CsvExportQuerySerializer,
    EnrolSerializer,
    EventBatchResultSerializer,
    EventBatchSerializer,
    JoinSerializer,
    ParticipantSerializer,
    ParticipationSerializer,
    StudySerializer,
    StudyUpdateSerializer,
)


class StaffStudyMixin:
    """Staff views of one study or all of them: every study, with its participant count."""

    permission_classes = [IsAdminUser]

    def get_queryset(self) -> QuerySet[Study]:
        return selectors.study_list()


class StudyListView(StaffStudyMixin, generics.ListCreateAPIView):
    """Staff: every study; POST creates one with its conditions."""

    serializer_class = StudySerializer

    @extend_schema(responses={200: StudySerializer(many=True), 403: DETAIL})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=StudySerializer, responses={201: StudySerializer, 400: FIELD_ERRORS, 403: DETAIL}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer[Study]) -> None:
        data = serializer.validated_data
        study = services.study_create(
            created_by=self.request.user,
            title=data["title"],
            description=data.get("description", ""),
            tasks=data.get("tasks", []),
            conditions=data["conditions"],
        )
        # Read back through the selector, so the answer counts participants like the list.
        serializer.instance = selectors.study_get(pk=study.pk)


class StudyDetailView(StaffStudyMixin, generics.RetrieveAPIView):
    """Staff: one study; PATCH changes its title, description, tasks or whether it is open."""

    serializer_class = StudySerializer

    @extend_schema(responses={200: StudySerializer, 403: DETAIL, 404: DETAIL})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=StudyUpdateSerializer,
        responses={200: StudySerializer, 400: FIELD_ERRORS, 403: DETAIL, 404: DETAIL},
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        study = self.get_object()
        body = StudyUpdateSerializer(study, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.study_update(study=study, changes=body.validated_data)
        return Response(StudySerializer(self.get_object()).data)


class ParticipantListView(generics.ListAPIView):
    """Staff: the study's participants (pseudonymised); POST enrols a user by username."""

    permission_classes = [IsAdminUser]
    serializer_class = ParticipantSerializer
    pagination_class = None  # a study's participants come as one list

    @cached_property
    def study(self) -> Study:
        return selectors.study_get(pk=self.kwargs["pk"])

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Staff only (checked above); an unknown study is a 404 before the body is read.
        self.study  # noqa: B018

    def get_queryset(self) -> QuerySet[Participant]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no study
            return Participant.objects.none()
        return selectors.participant_list(study=self.study)

    @extend_schema(responses={200: ParticipantSerializer(many=True), 403: DETAIL, 404: DETAIL})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=EnrolSerializer,
        responses={
            201: ParticipantSerializer,
            400: FIELD_ERRORS,
            403: DETAIL,
            404: DETAIL,
            409: DETAIL,
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = EnrolSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        participant = services.participant_enrol(
            study=self.study, user=body.validated_data["username"], enrolled_by=request.user
        )
        return Response(ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)


class JoinView(generics.GenericAPIView):
    """Joins the study with this invite code; the user is given a condition (balanced)."""

    serializer_class = JoinSerializer

    @extend_schema(
        request=JoinSerializer,
        responses={201: ParticipationSerializer, 400: FIELD_ERRORS, 409: DETAIL},
    )
    def post(self, request: Request) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        participant = services.participant_join(
            user=request.user, invite_code=body.validated_data["invite_code"]
        )
        return Response(ParticipationSerializer(participant).data, status=status.HTTP_201_CREATED)


class ParticipationView(generics.RetrieveAPIView):
    """The signed-in user's participation in an open study (its tasks and their condition)."""

    serializer_class = ParticipationSerializer

    def get_object(self) -> Participant:
        participant = selectors.current_participant(user=self.request.user)
        if participant is None:
            raise Http404("You take part in no open study.")
        return participant

    @extend_schema(responses={200: ParticipationSerializer, 404: DETAIL})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class EventListView(generics.GenericAPIView):
    """Appends a batch of the participant's interaction events; the server adds its own time.

    403 for users who take part in no open study. Events cannot be changed or deleted.
    """

    serializer_class = EventBatchSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "events"

    @extend_schema(
        request=EventBatchSerializer,
        responses={201: EventBatchResultSerializer, 400: FIELD_ERRORS, 403: DETAIL},
    )
    def post(self, request: Request) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        stored = services.events_record(user=request.user, events=body.validated_data["events"])
        return Response({"stored": stored}, status=status.HTTP_201_CREATED)


def _download(data: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _name(study_pk: int, title: str) -> str:
    return f"study-{study_pk}-{slugify(title)[:40] or 'export'}"


class StudyExportCsvView(StaffStudyMixin, generics.GenericAPIView):
    """Staff: the study's tables as CSV: one table with ``?table=``, otherwise all in a zip."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "table",
                OpenApiTypes.STR,
                enum=list(exports.TABLES),
                required=False,
                description="One table as CSV; omitted: every table as CSV files in a zip.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="CSV"),
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="Zip of CSV files"
            ),
            400: FIELD_ERRORS,
            403: DETAIL,
            404: DETAIL,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        study = self.get_object()
        query = CsvExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        table = query.validated_data.get("table")
        name = _name(study.pk, study.title)
        if table is None:
            return _download(exports.zip_bytes(study), "application/zip", f"{name}.zip")
        text = exports.table_csv(study, table)
        return _download(text, "text/csv; charset=utf-8", f"{name}-{table}.csv")


class StudyExportJsonView(StaffStudyMixin, generics.GenericAPIView):
    """Staff: the whole study as one JSON document: {study, participants, conditions, events,
    experiments, results}."""

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="Every table of the study"
            ),
            403: DETAIL,
            404: DETAIL,
        }
    )
    def get(self, request: Request, pk: int) -> Response:
        study = self.get_object()
        response = Response(exports.json_document(study))
        response["Content-Disposition"] = (
            f'attachment; filename="{_name(study.pk, study.title)}.json"'
        )
        return response
