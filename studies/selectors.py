"""Every read of the study tables."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from studies.models import Participant, Study


def current_participant(*, user: AbstractBaseUser) -> Participant | None:
    """The user's participation in an open study, or None: the one their runs are tagged with."""
    return (
        Participant.objects.filter(user=user, study__is_open=True)
        .select_related("study", "condition")
        .order_by("-joined_at")
        .first()
    )


def study_list() -> QuerySet[Study]:
    """Every study with its conditions and the number of its participants (staff only)."""
    return (
        Study.objects.annotate(participant_count=Count("participants", distinct=True))
        .prefetch_related("conditions")
        .order_by("-created_at", "-id")
    )


def study_get(*, pk: int) -> Study:
    return get_object_or_404(study_list(), pk=pk)


def participant_list(*, study: Study) -> QuerySet[Participant]:
    return Participant.objects.filter(study=study).select_related("user", "condition")
