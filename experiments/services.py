"""Runs and their life cycle, as the web side sees it: create, cancel, re-run, re-visualize,
delete. Every write to an experiment row from a request goes through here.

The state changes are conditional updates (``UPDATE ... WHERE status =``), so a web request,
a worker and a second delivery of the same task can race without ever moving an experiment
backwards. The worker's side of the life cycle is in :mod:`experiments.lifecycle`, storing a
finished run in :mod:`experiments.results`, and the checks for lost or dead work in
:mod:`experiments.reliability`. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django_q.tasks import async_task

from experiments import hooks, limits
from experiments.lifecycle import ExperimentFinished, initial_progress
from experiments.models import Experiment
from models_zoo import datasets, shapes
from models_zoo.budget import estimate_seconds
from models_zoo.config import GENERATION_FIELDS, SEED_MAX, ConfigError, RunConfig

if TYPE_CHECKING:
    from models_zoo.classes import ClassSpec

TASK_PATH = "experiments.tasks.train_and_visualize"
REVISUALIZE_TASK_PATH = "experiments.tasks.revisualize_task"
Status = Experiment.Status


class TooManyActive(Exception):
    """The user already has as many queued or running experiments as allowed."""

    http_status = 429


class StorageQuotaReached(Exception):
    """The user's runs take all the storage a user may have."""

    http_status = 429


class NotRevisualizable(Exception):
    """The source has no usable stored weights (not finished, or its file is missing or altered)."""

    http_status = 409


def validate_config(*, user: AbstractBaseUser, config: Mapping[str, Any]) -> RunConfig:
    """The run configuration as the ML core validates it, within this server's limits.

    Raises ``ValidationError`` whose message dict names the offending field.
    """
    if not isinstance(config, Mapping):
        raise ValidationError({"non_field_errors": ["Send the settings as a JSON object."]})
    data = dict(config)
    if data.get("seed") in (None, ""):
        data["seed"] = secrets.randbelow(SEED_MAX + 1)
    try:
        run_config = RunConfig.from_dict(data)
    except ConfigError as error:
        raise ValidationError({error.field: [error.message]}) from None
    if len(run_config.classes) > limits.max_classes():
        message = f"select at most {limits.max_classes()} classes on this server"
        raise ValidationError({"classes": [message]})
    for field, limit in limits.site_caps().items():
        value = getattr(run_config, field)
        if value > limit:
            message = f"must be at most {limit} on this server, not {value}"
            raise ValidationError({field: [message]})
    images = run_config.copies * len(run_config.classes)
    # A dataset run trains on the dataset's own images: it makes no copies.
    if not _is_dataset_run(run_config) and images > settings.MAX_TRAINING_IMAGES:
        most = max(1, settings.MAX_TRAINING_IMAGES // len(run_config.classes))
        message = (
            f"{run_config.copies} copies of {len(run_config.classes)} classes make {images} "
            f"training images; this server allows {settings.MAX_TRAINING_IMAGES} "
            f"(at most {most} copies of this many classes)"
        )
        raise ValidationError({"copies": [message]})
    _check_budget(run_config)
    if run_config.snapshot_every:
        least = -(-run_config.max_steps // settings.MAX_SNAPSHOT_FRAMES)
        if run_config.snapshot_every < least:
            message = (
                f"with at most {run_config.max_steps} steps, record a snapshot every {least} "
                f"steps or more (this server keeps about {settings.MAX_SNAPSHOT_FRAMES} "
                "frames per class), or 0 for none"
            )
            raise ValidationError({"snapshot_every": [message]})
    return run_config


def _is_dataset_run(run_config: RunConfig) -> bool:
    return any(datasets.is_dataset_class(key) for key in run_config.classes)


def _check_budget(run_config: RunConfig) -> None:
    seconds = estimate_seconds(run_config)
    if seconds > settings.MAX_RUN_SECONDS:
        message = (
            f"this run would keep a worker busy for about {_duration(seconds)}; this server "
            f"allows {_duration(settings.MAX_RUN_SECONDS)} per run, so that its workers are "
            "shared fairly: use fewer epochs, copies, classes or steps, a larger batch, or a "
            "smaller model"
        )
        raise ValidationError({"epochs": [message]})


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def storage_used(*, user: AbstractBaseUser) -> int:
    """Bytes the user's runs take in storage (images, snapshots, weights)."""
    used = Experiment.objects.filter(owner=user).aggregate(total=Sum("stored_bytes"))["total"]
    return int(used or 0)


def _check_storage(user: AbstractBaseUser) -> None:
    quota = settings.STORAGE_QUOTA_MB * 1024 * 1024
    used = storage_used(user=user)
    if used >= quota:
        raise StorageQuotaReached(
            f"Your runs take {used / 2**20:.0f} MB of the {settings.STORAGE_QUOTA_MB} MB this "
            "server keeps for each user; delete some runs to start new ones."
        )


def _trained_on(*, user: AbstractBaseUser, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """A copy of every class as it is now: catalogue shapes, a dataset's classes
    (``digits:3``), and the classes the feature apps know (a user's drawings, ``drawn:<id>``),
    each decorated by them (highlight masks)."""
    copies = []
    for key in keys:
        if key in shapes.CATALOGUE:
            shape = shapes.CATALOGUE[key]
            pixels = None if shape.is_noise else shape.image().tolist()
            noise = key if shape.is_noise else None
            copies.append({"key": key, "name": shape.name, "noise": noise, "pixels": pixels})
        elif datasets.is_dataset_class(key):
            copies.append(dataset_class_copy(key))
        elif (copy := hooks.class_copy(user, key)) is not None:
            copies.append(copy)
        else:
            raise ValidationError({"classes": [f"unknown class {key!r}"]})
    hooks.decorate_classes(user, copies)
    return copies


def dataset_class_copy(key: str) -> dict[str, Any]:
    """The copy an experiment keeps of a dataset's class: its name, its template (the mean
    training image, which |r| is measured against) and the dataset's default mask of pixels
    that must not matter, where it has one. A highlight of the class painted by the user
    replaces that mask (the drawing app's class decorator)."""
    dataset = datasets.dataset_of(key)
    name = dict(datasets.dataset_classes(dataset))[key]
    # Four decimals are far finer than any screen shows, and keep the stored JSON small.
    pixels = np.round(datasets.template(key).astype(np.float64), 4).tolist()
    copy: dict[str, Any] = {
        "key": key,
        "name": name,
        "noise": None,
        "pixels": pixels,
        "dataset": dataset,
    }
    mask = datasets.default_irrelevant(key)
    if mask is not None:
        copy["irrelevant"] = (np.asarray(mask) > 0.5).astype(int).tolist()
    return copy


def class_specs(*, experiment: Experiment) -> list[ClassSpec]:
    """The ML core's class specifications from the copy the experiment keeps."""
    from models_zoo.classes import ClassSpec

    return [
        ClassSpec(
            key=item["key"],
            name=item["name"],
            noise=item["noise"],
            image=None if item["pixels"] is None else np.asarray(item["pixels"], np.float32),
            relevant=_optional_mask(item.get("relevant")),
            irrelevant=_optional_mask(item.get("irrelevant")),
            dataset=item.get("dataset"),
        )
        for item in experiment.trained_on
    ]


def _optional_mask(mask: list[list[float]] | None) -> np.ndarray | None:
    return None if mask is None else np.asarray(mask, np.float32)


def highlight_usable(*, copies: list[dict[str, Any]], outside_relevant: bool) -> bool:
    """Whether any class carries a mask that highlighting would use: a red region, or a
    yellow one when everything outside yellow counts as not part of the class."""
    for item in copies:
        if item.get("irrelevant") and np.asarray(item["irrelevant"]).max() > 0.5:
            return True
        if outside_relevant and item.get("relevant") and np.asarray(item["relevant"]).max() > 0.5:
            return True
    return False


_NO_HIGHLIGHT = (
    "none of the selected classes has a highlight to use: paint a red region "
    "(or a yellow one, with everything outside yellow) on one first, or choose none"
)


@transaction.atomic
def experiment_create(
    *,
    user: AbstractBaseUser,
    config: Mapping[str, Any],
    trained_on: list[dict[str, Any]] | None = None,
    source: Experiment | None = None,
    kind: str = "train",
    held: bool = False,
) -> Experiment:
    """Validates the settings, stores a queued experiment and enqueues it after commit.

    A ``held`` experiment is stored queued but not enqueued, and does not count against the
    user's active runs: the feature app that asked for it sends its task later (a queue
    keeper of ``experiments.hooks``, which names it as held until then).

    A re-run or re-visualization passes its ``source`` and that run's copy of the classes
    (``trained_on``), so it uses exactly the data the source used. While the user takes part
    in an open study, the settings must fit their condition (a run check of
    ``experiments.hooks``) and the experiment is tagged.
    """
    run_config = validate_config(user=user, config=config)
    after_create = hooks.check_run(user, run_config)
    if trained_on is None:
        trained_on = _trained_on(user=user, keys=run_config.classes)
    if run_config.highlight != "none" and not highlight_usable(
        copies=trained_on, outside_relevant=run_config.highlight_outside_relevant
    ):
        raise ValidationError({"highlight": [_NO_HIGHLIGHT]})
    # Lock the user's row so that two requests at once cannot take the same number; SQLite
    # serialises writers anyway (transaction_mode IMMEDIATE).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    _check_storage(user)
    active = 0 if held else active_count(user=user)
    if active >= settings.MAX_ACTIVE_EXPERIMENTS:
        raise TooManyActive(
            f"You already have {active} experiments queued or running; "
            "wait for one to finish or cancel one."
        )
    last = Experiment.objects.filter(owner=user).aggregate(last=Max("number"))["last"] or 0
    experiment = Experiment(
        owner=user,
        number=last + 1,
        config=run_config.to_dict(),
        model_name=run_config.model,
        class_keys=list(run_config.classes),
        trained_on=trained_on,
        seed=run_config.seed,
        progress=initial_progress(),
        kind=kind,
        source=source,
        # Its task goes out when this transaction commits, unless it is held back.
        sent_at=None if held else timezone.now(),
    )
    experiment.full_clean()
    experiment.save()
    for callback in after_create:
        callback(experiment)
    hooks.experiment_created.send(sender=Experiment, experiment=experiment, user=user)
    if not held:
        experiment_id = experiment.pk
        transaction.on_commit(lambda: enqueue(experiment_id=experiment_id))
    return experiment


@transaction.atomic
def experiments_create_held(
    *, user: AbstractBaseUser, configs: Sequence[Mapping[str, Any]], tags: Sequence[str] = ()
) -> list[Experiment]:
    """Stores many held experiments at once (a sweep's runs), in ``configs``' order.

    Each configuration is validated and checked as ``experiment_create`` would (a refusal is
    raised as the ``ValidationError`` of the first configuration refused, with that
    configuration's index in ``error.index``); the classes are copied once, since every run
    of the set trains on the same classes, and the rows are written in one statement.
    """
    if not configs:
        return []
    checked = []
    for index, config in enumerate(configs):
        try:
            run_config = validate_config(user=user, config=config)
        except ValidationError as error:
            error.index = index  # type: ignore[attr-defined]
            raise
        checked.append((run_config, hooks.check_run(user, run_config)))
    keys = {run_config.classes for run_config, _ in checked}
    if len(keys) != 1:
        raise ValueError("every run of a set must train on the same classes")
    trained_on = _trained_on(user=user, keys=checked[0][0].classes)
    for index, (run_config, _) in enumerate(checked):
        if run_config.highlight != "none" and not highlight_usable(
            copies=trained_on, outside_relevant=run_config.highlight_outside_relevant
        ):
            refusal = ValidationError({"highlight": [_NO_HIGHLIGHT]})
            refusal.index = index  # type: ignore[attr-defined]
            raise refusal
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    _check_storage(user)
    last = Experiment.objects.filter(owner=user).aggregate(last=Max("number"))["last"] or 0
    rows = []
    for offset, (run_config, _) in enumerate(checked):
        experiment = Experiment(
            owner=user,
            number=last + 1 + offset,
            config=run_config.to_dict(),
            model_name=run_config.model,
            class_keys=list(run_config.classes),
            trained_on=trained_on,
            seed=run_config.seed,
            progress=initial_progress(),
            tags=list(tags),
            sent_at=None,
        )
        # The numbers are unique: the user's row is locked while they are taken.
        experiment.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
        rows.append(experiment)
    created = Experiment.objects.bulk_create(rows, batch_size=200)
    for experiment, (_, after_create) in zip(created, checked, strict=True):
        for callback in after_create:
            callback(experiment)
        hooks.experiment_created.send(sender=Experiment, experiment=experiment, user=user)
    return created


def active_count(*, user: AbstractBaseUser) -> int:
    """The user's queued or running experiments, leaving out those held back."""
    active = Experiment.objects.filter(owner=user, status__in=Experiment.ACTIVE)
    return hooks.exclude_held(active).count()


def enqueue(*, experiment_id: int) -> None:
    """Hands the experiment to the workers (also used to re-run a stuck queued experiment)."""
    kind = Experiment.objects.filter(pk=experiment_id).values_list("kind", flat=True).first()
    task = REVISUALIZE_TASK_PATH if kind == Experiment.Kind.REVISUALIZE else TASK_PATH
    async_task(task, experiment_id, task_name=f"experiment-{experiment_id}")


@transaction.atomic
def experiment_cancel(*, user: AbstractBaseUser, experiment: Experiment) -> Experiment:
    """Cancels a queued or running experiment; a running one stops at its next report."""
    changed = Experiment.objects.filter(
        pk=experiment.pk, owner=user, status__in=Experiment.ACTIVE
    ).update(status=Status.CANCELLED, finished_at=timezone.now())
    experiment.refresh_from_db()
    if not changed:
        raise ExperimentFinished(f"This experiment has already {experiment.status}.")
    return experiment


def _sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_weights(*, experiment: Experiment) -> None:
    """Raises ``NotRevisualizable`` unless the experiment's weights file is there, unaltered."""
    if experiment.status != Experiment.Status.DONE:
        raise NotRevisualizable(
            f"Only a finished experiment can be re-visualized; this one is {experiment.status}."
        )
    if not experiment.weights.name or not experiment.weights_sha256:
        raise NotRevisualizable("This experiment has no stored weights to re-visualize.")
    try:
        actual = _sha256(experiment.weights.name)
    except OSError:
        raise NotRevisualizable("The stored weights file of this experiment is missing.") from None
    if actual != experiment.weights_sha256:
        raise NotRevisualizable(
            "The stored weights file does not match its recorded SHA-256 (it was altered or "
            "damaged), so it is not loaded. Re-run the experiment to train it again."
        )


@transaction.atomic
def experiment_rerun(
    *, user: AbstractBaseUser, source: Experiment, seed: int | None = None
) -> Experiment:
    """A new experiment with the source's settings and class images, and ``seed`` if given.

    A re-run trains again with the source's settings (and the very class images it used);
    it is a new row that points at its source and counts against the user's active runs.
    """
    config = dict(source.config)
    if seed is not None:
        config["seed"] = seed
    return experiment_create(
        user=user, config=config, trained_on=list(source.trained_on), source=source
    )


@transaction.atomic
def experiment_revisualize(
    *, user: AbstractBaseUser, source: Experiment, changes: Mapping[str, Any]
) -> Experiment:
    """Queues new images from the source's stored weights with other generation settings.

    A re-visualization skips training: a worker loads the source's stored weights (their
    SHA-256 is checked first, so an altered file is refused) and only generates new images.
    """
    unknown = [key for key in changes if key not in GENERATION_FIELDS]
    if unknown:
        message = "a re-visualization changes only image settings: " + ", ".join(GENERATION_FIELDS)
        raise ValidationError({str(unknown[0]): [message]})
    config = {**source.config, **changes}
    # Bad settings are named first; the weights are checked only for a request that is valid.
    validate_config(user=user, config=config)
    check_weights(experiment=source)
    return experiment_create(
        user=user,
        config=config,
        trained_on=list(source.trained_on),
        source=source,
        kind=Experiment.Kind.REVISUALIZE,
    )


@transaction.atomic
def experiment_delete(*, user: AbstractBaseUser, experiment: Experiment) -> None:
    """Deletes the user's experiment; its files go after commit (experiments.files). A running
    one is cancelled by the deletion: its worker finds no row to save into and discards what
    it made."""
    Experiment.objects.filter(pk=experiment.pk, owner=user).delete()
