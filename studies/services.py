"""Every write to the study tables, and the rules a condition puts on a run.

Assignment is balanced: a new participant gets the condition with the fewest participants,
ties broken by an order drawn once per study from its ``assignment_seed``. The study's row is
locked while counting (``select_for_update``; SQLite serialises writers anyway), so two people
joining at once cannot both be counted into the same free place.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from experiments.models import Experiment
from models_zoo import shapes
from models_zoo.config import RunConfig
from studies.models import EVENT_TYPES, Condition, Event, Participant, Study, StudyExperiment
from studies.selectors import current_participant

EVENT_TYPE_NAMES = {name for name, _ in EVENT_TYPES}


# Each exception's ``http_status`` is the status the API answers it with (see
# shapeshop_site/api.py), so the views let them rise.


class AlreadyEnrolled(Exception):
    """The user already takes part in this study or in another open one."""

    http_status = 409


class NotParticipant(Exception):
    """The user takes part in no open study."""

    http_status = 403


class StudyClosed(Exception):
    """The study takes no new participants."""

    http_status = 409


def pseudonym(user_id: int) -> str:
    """A stable id for exports that does not reveal the user: HMAC-SHA256 of the user's id
    keyed with the site's secret key (the same user always gets the same pseudonym)."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"study-participant:{user_id}".encode(), hashlib.sha256)
    return "p-" + digest.hexdigest()[:16]


@transaction.atomic
def study_create(
    *,
    created_by: AbstractBaseUser,
    title: str,
    description: str = "",
    tasks: Sequence[str] = (),
    conditions: Sequence[Mapping[str, Any]],
) -> Study:
    """Creates a study with its conditions (at least one)."""
    if not conditions:
        raise ValidationError({"conditions": ["give the study at least one condition"]})
    names = [str(condition.get("name", "")) for condition in conditions]
    if len(set(names)) != len(names):
        raise ValidationError({"conditions": ["each condition needs a different name"]})
    study = Study(created_by=created_by, title=title, description=description, tasks=list(tasks))
    study.full_clean()
    study.save()
    for item in conditions:
        condition = Condition(
            study=study,
            name=item.get("name", ""),
            allowed_models=list(item.get("allowed_models") or []),
            highlighting=bool(item.get("highlighting", True)),
            drawing=bool(item.get("drawing", True)),
        )
        condition.full_clean()
        condition.save()
    return study


STUDY_CHANGEABLE = ("title", "description", "tasks", "is_open")


@transaction.atomic
def study_update(*, study: Study, changes: Mapping[str, Any]) -> Study:
    """Changes a study's title, description, tasks or whether it is open; its conditions stay
    as they were, so the runs already tagged with them keep their meaning."""
    for field, value in changes.items():
        if field not in STUDY_CHANGEABLE:
            raise ValidationError({field: ["cannot be changed once the study exists"]})
        setattr(study, field, value)
    study.full_clean()
    study.save()
    return study


def _assignment_order(study: Study, conditions: list[Condition]) -> list[Condition]:
    ordered = sorted(conditions, key=lambda condition: condition.pk)
    random.Random(study.assignment_seed).shuffle(ordered)
    return ordered


def _enrol(*, study_id: int, user: AbstractBaseUser, enrolled_by: Any) -> Participant:
    # The lock makes counting and inserting one step for everyone joining this study.
    study = Study.objects.select_for_update().get(pk=study_id)
    if not study.is_open:
        raise StudyClosed("This study is closed and takes no new participants.")
    if Participant.objects.filter(study=study, user=user).exists():
        raise AlreadyEnrolled("You already take part in this study.")
    other = current_participant(user=user)
    if other is not None:
        raise AlreadyEnrolled(f"You already take part in the open study {other.study.title!r}.")
    conditions = list(Condition.objects.filter(study=study).annotate(n=Count("participants")))
    if not conditions:
        raise StudyClosed("This study has no conditions yet.")
    fewest = min(condition.n for condition in conditions)  # type: ignore[attr-defined]
    condition = next(
        c
        for c in _assignment_order(study, conditions)
        if c.n == fewest  # type: ignore[attr-defined]
    )
    participant = Participant(study=study, user=user, condition=condition, enrolled_by=enrolled_by)
    participant.full_clean()
    participant.save()
    return participant


@transaction.atomic
def participant_join(*, user: AbstractBaseUser, invite_code: str) -> Participant:
    """The user joins the study with this invite code and is given a condition."""
    code = invite_code.strip().upper()
    study = Study.objects.filter(invite_code=code).first()
    if study is None:
        raise ValidationError({"invite_code": ["no study has this invite code"]})
    return _enrol(study_id=study.pk, user=user, enrolled_by=None)


@transaction.atomic
def participant_enrol(
    *, study: Study, user: AbstractBaseUser, enrolled_by: AbstractBaseUser
) -> Participant:
    """Staff enrol a user; the condition is assigned as for anyone joining."""
    return _enrol(study_id=study.pk, user=user, enrolled_by=enrolled_by)


def check_run(*, user: AbstractBaseUser, config: RunConfig) -> Participant | None:
    """The user's participation, once the run's settings fit their condition.

    Raises ``ValidationError`` naming the field the condition does not allow.
    """
    participant = current_participant(user=user)
    if participant is None:
        return None
    condition = participant.condition
    if condition.allowed_models and config.model not in condition.allowed_models:
        allowed = ", ".join(condition.allowed_models)
        message = f"your study condition allows only these models: {allowed}"
        raise ValidationError({"model": [message]})
    if not condition.highlighting and config.highlight != "none":
        message = "your study condition does not allow semantic highlighting"
        raise ValidationError({"highlight": [message]})
    if not condition.drawing:
        drawn = [key for key in config.classes if key not in shapes.CATALOGUE]
        if drawn:
            message = f"your study condition allows only the built-in classes, not {drawn[0]!r}"
            raise ValidationError({"classes": [message]})
    return participant


def experiment_tag(*, experiment: Experiment, participant: Participant) -> StudyExperiment:
    """Records that the experiment was run in the participant's study and condition."""
    return StudyExperiment.objects.create(
        experiment=experiment,
        participant=participant,
        study_id=participant.study_id,
        condition_id=participant.condition_id,
    )


def _event(participant: Participant, item: Mapping[str, Any], index: int) -> Event:
    def invalid(field: str, message: str) -> ValidationError:
        return ValidationError({"events": [f"event {index}: {field}: {message}"]})

    if not isinstance(item, Mapping):
        raise invalid("event", "must be an object")
    kind = item.get("type")
    if kind not in EVENT_TYPE_NAMES:
        raise invalid("type", f"must be one of {', '.join(sorted(EVENT_TYPE_NAMES))}")
    client_time = item.get("client_time")
    if not isinstance(client_time, datetime):
        raise invalid("client_time", "must be a date and time (ISO 8601)")
    data = item.get("data") or {}
    if not isinstance(data, Mapping):
        raise invalid("data", "must be an object")
    if len(json.dumps(data)) > settings.EVENT_DATA_MAX_BYTES:
        raise invalid("data", f"must be at most {settings.EVENT_DATA_MAX_BYTES} bytes of JSON")
    page = str(item.get("page") or "")[:200]
    return Event(
        participant=participant, type=kind, page=page, data=dict(data), client_time=client_time
    )


@transaction.atomic
def events_record(*, user: AbstractBaseUser, events: Sequence[Mapping[str, Any]]) -> int:
    """Appends a batch of the participant's events; the server stamps its own time on each."""
    participant = current_participant(user=user)
    if participant is None:
        raise NotParticipant("Only participants of an open study record events.")
    if len(events) > settings.EVENTS_PER_REQUEST:
        message = f"send at most {settings.EVENTS_PER_REQUEST} events at once"
        raise ValidationError({"events": [message]})
    rows = [_event(participant, item, index) for index, item in enumerate(events)]
    Event.objects.bulk_create(rows)
    return len(rows)


def server_event_record(
    *, user: Any, kind: str, page: str, data: Mapping[str, Any]
) -> Event | None:
    """Records an event the server saw itself (a run started, a drawing saved, ...) for the
    user's open study; nothing when they take part in none. Its ``client_time`` is the
    server's own time (see studies/receivers.py)."""
    if kind not in EVENT_TYPE_NAMES:
        raise ValueError(f"unknown event type {kind!r}")
    if not getattr(user, "is_authenticated", False):
        return None
    participant = current_participant(user=user)
    if participant is None:
        return None
    return Event.objects.create(
        participant=participant,
        type=kind,
        page=page[:200],
        data=dict(data),
        client_time=timezone.now(),
    )
