"""Faults the platform survives: the database away, a full disk, an altered weights file."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from experiments import results, services, tasks
from experiments.models import ClassResult, Experiment
from tests.factories import TINY_MLP_THREE_CLASSES
from tests.reliability.storage import FullDiskStorage


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Points this process's connection at a database server that is not there."""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/shapeshop.sqlite3"
    else:
        connection.settings_dict["HOST"] = "127.0.0.1"
        connection.settings_dict["PORT"] = "9"  # discard: nothing listens, refused at once
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


@pytest.mark.django_db(transaction=True)
def test_requests_get_a_clear_503_while_the_database_is_away_and_nothing_is_lost(
    alice: Any, alice_api: APIClient, alice_client: Client
) -> None:
    before = alice_api.post("/api/v1/experiments/", TINY_MLP_THREE_CLASSES, format="json")
    assert before.status_code == 201
    with database_unreachable():
        with pytest.raises(OperationalError):
            connection.ensure_connection()
        api = alice_api.post(
            "/api/v1/experiments/", {**TINY_MLP_THREE_CLASSES, "seed": 4}, format="json"
        )
        listing = alice_api.get("/api/v1/experiments/")
        page = alice_client.get("/builder/")
    for response in (api, listing):
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert "database is unavailable" in response.json()["detail"]
        assert response["Retry-After"]
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert b"briefly unavailable" in page.content and b"Traceback" not in page.content

    # Back again: what was stored is all there, and the same request now works.
    after = alice_api.post(
        "/api/v1/experiments/", {**TINY_MLP_THREE_CLASSES, "seed": 4}, format="json"
    )
    assert after.status_code == 201
    listing = alice_api.get("/api/v1/experiments/").json()
    assert [item["id"] for item in listing["results"]] == [after.json()["id"], before.json()["id"]]
    assert set(Experiment.objects.values_list("status", flat=True)) == {"done"}
    assert alice_client.get("/builder/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_run_outlives_a_database_that_goes_away_while_it_trains_and_saves(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "enqueue", lambda *, experiment_id: None)
    monkeypatch.setattr(results, "DATABASE_RETRY_DELAYS_S", (0.05, 0.1, 0.2))
    experiment = services.experiment_create(
        user=alice, config={**TINY_MLP_THREE_CLASSES, "epochs": 5}
    )
    failures = {"progress": 0, "save": 0}

    def flaky(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Every progress report fails, and so do the first two tries of the final save.
        if sql.startswith('UPDATE "experiments_experiment" SET "progress"'):
            failures["progress"] += 1
            raise OperationalError("server closed the connection unexpectedly")
        if sql.startswith('INSERT INTO "experiments_classresult"') and failures["save"] < 2:
            failures["save"] += 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(flaky):
        assert tasks.train_and_visualize(experiment.pk) == "done"
    assert failures["progress"] >= 1 and failures["save"] == 2
    experiment.refresh_from_db()
    assert experiment.status == "done" and experiment.results.count() == 3


def media_files(root: str) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


@pytest.mark.django_db
@pytest.mark.parametrize("saves_before_full", [0, 3], ids=["weights", "third-image"])
def test_a_full_disk_fails_the_run_readably_and_leaves_no_file(
    alice: Any, settings: Any, saves_before_full: int
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.reliability.storage.FullDiskStorage"},
    }
    FullDiskStorage.saves_left = saves_before_full
    experiment = services.experiment_create(user=alice, config=TINY_MLP_THREE_CLASSES)
    assert tasks.train_and_visualize(experiment.pk) == "failed"
    experiment.refresh_from_db()
    assert experiment.status == "failed"
    assert "ran out of disk space" in experiment.error and "Run it again" in experiment.error
    assert not ClassResult.objects.filter(experiment=experiment).exists()
    assert not experiment.weights
    assert media_files(settings.MEDIA_ROOT) == []


def test_the_full_disk_storage_really_fails_with_enospc(settings: Any, tmp_path: Path) -> None:
    from django.core.files.base import ContentFile

    FullDiskStorage.saves_left = 0
    storage = FullDiskStorage(location=tmp_path)
    with pytest.raises(OSError) as caught:
        storage.save("a.bin", ContentFile(b"0123456789"))
    assert caught.value.errno == errno.ENOSPC
    assert (tmp_path / "a.bin").read_bytes() == b"01234"  # a partial file, as a full disk leaves


@pytest.mark.django_db
def test_an_altered_weights_file_is_refused_with_a_clear_error(alice: Any) -> None:
    from models_zoo import persistence

    experiment = services.experiment_create(user=alice, config=TINY_MLP_THREE_CLASSES)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    experiment.refresh_from_db()
    path = Path(experiment.weights.path)

    def load() -> Any:
        return persistence.load_model(
            path,
            model=experiment.model_name,
            n_classes=len(experiment.class_keys),
            sha256=experiment.weights_sha256,
        )

    assert load() is not None  # the file as written loads
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(persistence.WeightsError, match="does not match its recorded SHA-256"):
        load()
    path.write_bytes(b"")
    with pytest.raises(persistence.WeightsError, match="altered"):
        load()
    path.unlink()
    with pytest.raises(persistence.WeightsError, match="cannot read the weights file"):
        load()


@pytest.mark.django_db
def test_re_visualizing_an_altered_weights_file_is_refused_with_a_clear_error(
    alice: Any, alice_api: APIClient
) -> None:
    experiment = services.experiment_create(user=alice, config=TINY_MLP_THREE_CLASSES)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    experiment.refresh_from_db()
    path = Path(experiment.weights.path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    response = alice_api.post(
        f"/api/v1/experiments/{experiment.pk}/revisualize/", {"seed": 9}, format="json"
    )
    assert response.status_code == 409
    assert "does not match its recorded SHA-256" in response.json()["detail"]
    assert Experiment.objects.filter(owner=alice).count() == 1  # nothing was queued


@pytest.mark.django_db
def test_weights_altered_after_the_request_fail_the_re_visualization_readably(
    alice: Any, alice_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:

    source = services.experiment_create(user=alice, config=TINY_MLP_THREE_CLASSES)
    assert tasks.train_and_visualize(source.pk) == "done"
    source.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        response = alice_api.post(
            f"/api/v1/experiments/{source.pk}/revisualize/", {"seed": 9}, format="json"
        )
    assert response.status_code == 201
    Path(source.weights.path).write_bytes(b"not an HDF5 file")
    pk = response.json()["id"]
    assert tasks.revisualize_task(pk) == "failed"
    again = Experiment.objects.get(pk=pk)
    assert again.status == "failed" and not again.results.exists()
    assert "stored weights could not be used" in again.error and "altered" in again.error
