"""The studies API: staff manage studies and export them; users join one and log events.

Staff-only endpoints answer 403 to other signed-in users. A participant's events can only be
added (POST): no endpoint updates or deletes them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from experiments.api.errors import bad_request
from experiments.api.pagination import ExperimentPagination
from experiments.api.schema import DETAIL, FIELD_ERRORS
from studies import exports, selectors, services
from studies.serializers import (
    EnrolSerializer,
    EventBatchResultSerializer,
    EventBatchSerializer,
    JoinSerializer,
    ParticipantSerializer,
    ParticipationSerializer,
    StudySerializer,
    StudyUpdateSerializer,
)


class StudyListView(APIView):
    """Staff: every study; POST creates one with its conditions."""

    permission_classes = [IsAdminUser]
    pagination_class = ExperimentPagination

    @extend_schema(responses={200: StudySerializer(many=True), 403: DETAIL})
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.study_list(), request, view=self)
        return paginator.get_paginated_response(StudySerializer(page, many=True).data)

    @extend_schema(
        request=StudySerializer, responses={201: StudySerializer, 400: FIELD_ERRORS, 403: DETAIL}
    )
    def post(self, request: Request) -> Response:
        body = StudySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            study = services.study_create(
                created_by=request.user,
                title=data["title"],
                description=data.get("description", ""),
                tasks=data.get("tasks", []),
                conditions=data["conditions"],
            )
        except ValidationError as error:
            return bad_request(error)
        return Response(
            StudySerializer(selectors.study_get(pk=study.pk)).data, status=status.HTTP_201_CREATED
        )


class StudyDetailView(APIView):
    """Staff: one study; PATCH changes its title, description, tasks or whether it is open."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: StudySerializer, 403: DETAIL, 404: DETAIL})
    def get(self, request: Request, pk: int) -> Response:
        return Response(StudySerializer(selectors.study_get(pk=pk)).data)

    @extend_schema(
        request=StudyUpdateSerializer,
        responses={200: StudySerializer, 400: FIELD_ERRORS, 403: DETAIL, 404: DETAIL},
    )
    def patch(self, request: Request, pk: int) -> Response:
        study = selectors.study_get(pk=pk)
        body = StudyUpdateSerializer(study, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        body.save()
        return Response(StudySerializer(selectors.study_get(pk=pk)).data)


class ParticipantListView(APIView):
    """Staff: the study's participants (pseudonymised); POST enrols a user by username."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: ParticipantSerializer(many=True), 403: DETAIL, 404: DETAIL})
    def get(self, request: Request, pk: int) -> Response:
        study = selectors.study_get(pk=pk)
        participants = selectors.participant_list(study=study)
        return Response(ParticipantSerializer(participants, many=True).data)

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
    def post(self, request: Request, pk: int) -> Response:
        study = selectors.study_get(pk=pk)
        body = EnrolSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = get_user_model().objects.filter(username=body.validated_data["username"]).first()
        if user is None:
            return Response(
                {"username": ["no user has this username"]}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            participant = services.participant_enrol(
                study=study, user=user, enrolled_by=request.user
            )
        except (services.AlreadyEnrolled, services.StudyClosed) as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)


class JoinView(APIView):
    """Joins the study with this invite code; the user is given a condition (balanced)."""

    @extend_schema(
        request=JoinSerializer,
        responses={201: ParticipationSerializer, 400: FIELD_ERRORS, 409: DETAIL},
    )
    def post(self, request: Request) -> Response:
        body = JoinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            participant = services.participant_join(
                user=request.user, invite_code=body.validated_data["invite_code"]
            )
        except ValidationError as error:
            return bad_request(error)
        except (services.AlreadyEnrolled, services.StudyClosed) as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(ParticipationSerializer(participant).data, status=status.HTTP_201_CREATED)


class ParticipationView(APIView):
    """The signed-in user's participation in an open study (its tasks and their condition)."""

    @extend_schema(responses={200: ParticipationSerializer, 404: DETAIL})
    def get(self, request: Request) -> Response:
        participant = selectors.current_participant(user=request.user)
        if participant is None:
            raise Http404("You take part in no open study.")
        return Response(ParticipationSerializer(participant).data)


class EventListView(APIView):
    """Appends a batch of the participant's interaction events; the server adds its own time.

    403 for users who take part in no open study. Events cannot be changed or deleted.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "events"

    @extend_schema(
        request=EventBatchSerializer,
        responses={201: EventBatchResultSerializer, 400: FIELD_ERRORS, 403: DETAIL},
    )
    def post(self, request: Request) -> Response:
        body = EventBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            stored = services.events_record(user=request.user, events=body.validated_data["events"])
        except ValidationError as error:
            return bad_request(error)
        except services.NotParticipant as error:
            return Response({"detail": str(error)}, status=status.HTTP_403_FORBIDDEN)
        return Response({"stored": stored}, status=status.HTTP_201_CREATED)


def _download(data: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _name(study_pk: int, title: str) -> str:
    return f"study-{study_pk}-{slugify(title)[:40] or 'export'}"


class StudyExportCsvView(APIView):
    """Staff: the study's tables as CSV: one table with ``?table=``, otherwise all in a zip."""

    permission_classes = [IsAdminUser]

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
        study = selectors.study_get(pk=pk)
        table = request.query_params.get("table")
        name = _name(study.pk, study.title)
        if table is None:
            return _download(exports.zip_bytes(study), "application/zip", f"{name}.zip")
        if table not in exports.TABLES:
            message = f"must be one of {', '.join(exports.TABLES)}"
            return Response({"table": [message]}, status=status.HTTP_400_BAD_REQUEST)
        text = exports.table_csv(study, table)
        return _download(text, "text/csv; charset=utf-8", f"{name}-{table}.csv")


class StudyExportJsonView(APIView):
    """Staff: the whole study as one JSON document: {study, participants, conditions, events,
    experiments, results}."""

    permission_classes = [IsAdminUser]

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
        study = selectors.study_get(pk=pk)
        response = Response(exports.json_document(study))
        response["Content-Disposition"] = (
            f'attachment; filename="{_name(study.pk, study.title)}.json"'
        )
        return response
