"""Study tables: deleting a study takes its conditions, participants, events and tags with it,
but never the experiments themselves."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from experiments import services as experiment_services
from experiments.models import Experiment
from studies import services
from studies.models import Condition, Event, Participant, Study, StudyExperiment
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db


def test_deleting_a_study_keeps_the_participants_experiments(study: Study, alice: Any) -> None:
    services.participant_join(user=alice, invite_code=study.invite_code)
    services.events_record(
        user=alice, events=[{"type": "page_view", "client_time": timezone.now()}]
    )
    experiment = experiment_services.experiment_create(user=alice, config=TINY_MLP)
    assert StudyExperiment.objects.filter(experiment=experiment).exists()
    study.delete()
    for table in (Study, Condition, Participant, Event, StudyExperiment):
        assert not table.objects.exists()
    assert Experiment.objects.filter(pk=experiment.pk).exists()


def test_pseudonyms_are_stable_and_differ_between_users(
    alice: Any, bob: Any, settings: Any
) -> None:
    first = services.pseudonym(alice.pk)
    assert first == services.pseudonym(alice.pk) and first != services.pseudonym(bob.pk)
    assert first.startswith("p-") and len(first) == 18
    settings.SECRET_KEY = "another-secret-key-for-another-site-0123456789abcdefghijklmnop"
    assert services.pseudonym(alice.pk) != first
