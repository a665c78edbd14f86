"""Files go with their rows: an experiment's weights and its results' images.

However a row is deleted (the API, the admin, a user deleted with everything they own, a
cascade), Django sends ``post_delete`` for it; the receivers here remove its files once the
deletion is committed (a rolled-back deletion keeps them) and the folder of its results when
it is left empty. :func:`orphans` finds files no row points at (left by a crash between
writing a file and storing its row, or by an older version), for ``manage.py media_orphans``.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.db.models.signals import post_delete

from experiments.models import ClassResult, Experiment

logger = logging.getLogger(__name__)

# The folders under MEDIA_ROOT that hold the rows' files, and nothing else.
MEDIA_FOLDERS = ("weights", "results")


def remove_files(names: list[str]) -> None:
    """Deletes stored files and then any results folder they leave empty."""
    folders = set()
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s", name)
        folders.add(posixpath.dirname(name))
    for folder in folders:
        _remove_if_empty(folder)


def _remove_if_empty(folder: str) -> None:
    if not folder.startswith("results/") or not isinstance(default_storage, FileSystemStorage):
        return
    path = default_storage.path(folder)
    try:
        directories, files = default_storage.listdir(folder)
        if not directories and not files:
            os.rmdir(path)
    except (FileNotFoundError, OSError):
        pass


def _after_commit(names: list[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: remove_files(names))


def _experiment_deleted(sender: Any, instance: Experiment, **_: Any) -> None:
    _after_commit([instance.weights.name])


def _result_deleted(sender: Any, instance: ClassResult, **_: Any) -> None:
    _after_commit([instance.image.name, instance.template.name])


def connect() -> None:
    post_delete.connect(_experiment_deleted, sender=Experiment, dispatch_uid="experiment-files")
    post_delete.connect(_result_deleted, sender=ClassResult, dispatch_uid="result-files")


def _stored_files(folder: str) -> Iterator[str]:
    try:
        directories, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield posixpath.join(folder, name)
    for directory in directories:
        yield from _stored_files(posixpath.join(folder, directory))


def referenced_files() -> set[str]:
    names = set(Experiment.objects.exclude(weights="").values_list("weights", flat=True))
    for image, template in ClassResult.objects.values_list("image", "template"):
        names.update((image, template))
    return names


def orphans() -> list[str]:
    """Stored files under the rows' folders that no row points at (scratch files of a run in
    progress, under ``tmp/``, are not looked at)."""
    known = referenced_files()
    found = [name for folder in MEDIA_FOLDERS for name in _stored_files(folder)]
    return sorted(name for name in found if name not in known)
