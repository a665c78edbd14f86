"""How studies, conditions, participants and events look in JSON."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from rest_framework import serializers

from models_zoo.architectures import ARCHITECTURES
from studies.exports import TABLES
from studies.models import EVENT_TYPES, MAX_TASK_LENGTH, MAX_TASKS, Condition, Participant, Study
from studies.services import pseudonym


class ConditionSerializer(serializers.ModelSerializer):
    allowed_models = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ARCHITECTURES)),
        required=False,
        help_text="Models a run may use; empty or omitted allows every model.",
    )
    highlighting = serializers.BooleanField(required=False, default=True)
    drawing = serializers.BooleanField(required=False, default=True)

    class Meta:
        model = Condition
        fields = ["id", "name", "allowed_models", "highlighting", "drawing"]
        read_only_fields = ["id"]


class StudySerializer(serializers.ModelSerializer):
    """A study as staff see it; on creation, ``conditions`` are created with it."""

    conditions = ConditionSerializer(many=True)
    tasks = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TASK_LENGTH),
        required=False,
        max_length=MAX_TASKS,
    )
    participant_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Study
        fields = [
            "id",
            "title",
            "description",
            "tasks",
            "conditions",
            "invite_code",
            "is_open",
            "participant_count",
            "created_at",
        ]
        read_only_fields = ["id", "invite_code", "participant_count", "created_at"]

    def validate_conditions(self, value: list[dict[str, object]]) -> list[dict[str, object]]:
        if not value:
            raise serializers.ValidationError("give the study at least one condition")
        if len(value) > 20:
            raise serializers.ValidationError("give the study at most 20 conditions")
        return value


class StudyUpdateSerializer(serializers.ModelSerializer):
    """What staff may change once a study exists (its conditions stay as they were)."""

    tasks = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TASK_LENGTH),
        required=False,
        max_length=MAX_TASKS,
    )

    class Meta:
        model = Study
        fields = ["title", "description", "tasks", "is_open"]


class ParticipantSerializer(serializers.ModelSerializer):
    """A participant as staff see them: the pseudonym, not the account."""

    pseudonym = serializers.SerializerMethodField()
    condition = serializers.CharField(source="condition.name", read_only=True)
    enrolled_by_staff = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = ["id", "pseudonym", "condition", "enrolled_by_staff", "joined_at"]

    def get_pseudonym(self, participant: Participant) -> str:
        return pseudonym(participant.user_id)

    def get_enrolled_by_staff(self, participant: Participant) -> bool:
        return participant.enrolled_by_id is not None


class EnrolSerializer(serializers.Serializer):
    # Validated into the user itself: an unknown username is a 400 naming the field.
    username = serializers.CharField(max_length=150)

    def validate_username(self, value: str) -> AbstractBaseUser:
        user = get_user_model().objects.filter(username=value).first()
        if user is None:
            raise serializers.ValidationError("no user has this username")
        return user


class JoinSerializer(serializers.Serializer):
    invite_code = serializers.CharField(max_length=20)


class ParticipationSerializer(serializers.Serializer):
    """The signed-in user's own participation: the study's tasks and their condition."""

    study_id = serializers.IntegerField(source="study.pk")
    study_title = serializers.CharField(source="study.title")
    description = serializers.CharField(source="study.description")
    tasks = serializers.ListField(source="study.tasks", child=serializers.CharField())
    condition = ConditionSerializer()
    joined_at = serializers.DateTimeField()


class CsvExportQuerySerializer(serializers.Serializer):
    # The query string of the CSV export (documented as a parameter in the view's schema).
    table = serializers.ChoiceField(
        choices=list(TABLES),
        required=False,
        help_text="One table as CSV; omitted: every table as CSV files in a zip.",
        error_messages={"invalid_choice": f"must be one of {', '.join(TABLES)}"},
    )


class EventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EVENT_TYPES)
    client_time = serializers.DateTimeField(help_text="When it happened, by the browser's clock.")
    page = serializers.CharField(required=False, allow_blank=True, max_length=200)
    data = serializers.DictField(required=False, help_text="Details, e.g. {strokes: 12}.")


class EventBatchSerializer(serializers.Serializer):
    events = EventSerializer(many=True, allow_empty=False)


class EventBatchResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
