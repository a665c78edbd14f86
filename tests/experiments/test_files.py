"""Files go with their rows, however the row is deleted; orphans are found and removed."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from experiments.models import Experiment
from tests.factories import trained_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(alice: Any) -> Experiment:
    return trained_run(alice)


def stored_names(experiment: Experiment) -> list[str]:
    names = [experiment.weights.name]
    for result in experiment.results.all():
        names += [result.image.name, result.template.name]
    return names


def results_folder(experiment: Experiment) -> Path:
    return Path(settings.MEDIA_ROOT) / "results" / str(experiment.pk)


def test_deleting_a_user_takes_their_files_and_folders(
    done: Experiment, django_capture_on_commit_callbacks: Any
) -> None:
    names = stored_names(done)
    assert len(names) == 5 and all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        done.owner.delete()
    assert not any(default_storage.exists(name) for name in names)
    assert not results_folder(done).exists()


def test_deleting_through_the_api_leaves_no_empty_folder(
    done: Experiment, alice_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    assert results_folder(done).is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.delete(f"/api/v1/experiments/{done.pk}/").status_code == 204
    assert not results_folder(done).exists()


def test_deleting_in_the_admin_takes_the_files(
    done: Experiment, django_user_model: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = django_user_model.objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(staff)
    names = stored_names(done)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/experiments/experiment/{done.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Experiment.objects.filter(pk=done.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_a_deletion_rolled_back_keeps_the_files(
    done: Experiment, django_capture_on_commit_callbacks: Any
) -> None:
    names = stored_names(done)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        Experiment.objects.filter(pk=done.pk).delete()
        raise RuntimeError("changed my mind")
    assert callbacks == []
    assert all(default_storage.exists(name) for name in names)


def test_the_orphans_command_finds_and_removes_only_files_without_rows(done: Experiment) -> None:
    stray_weights = default_storage.save("weights/experiment-999.weights.h5", ContentFile(b"x"))
    stray_image = default_storage.save("results/999/0-image.png", ContentFile(b"png"))
    out = StringIO()
    call_command("media_orphans", stdout=out)
    listed = out.getvalue().splitlines()
    assert stray_weights in listed and stray_image in listed
    assert not set(stored_names(done)) & set(listed)
    assert default_storage.exists(stray_weights)  # only listed without --delete

    call_command("media_orphans", "--delete", stdout=StringIO())
    assert not default_storage.exists(stray_weights) and not default_storage.exists(stray_image)
    assert not os.path.exists(default_storage.path("results/999"))
    assert all(default_storage.exists(name) for name in stored_names(done))
