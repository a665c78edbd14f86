"""Every write to the experiment tables goes through here.

The state changes of an experiment are conditional updates (``UPDATE ... WHERE status =``),
so a web request, a worker and a second delivery of the same task can race without ever
moving an experiment backwards: whoever changes the row first wins, the others are told.
Nothing here imports TensorFlow; the worker's task passes in what the ML core computed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django_q.tasks import async_task

from experiments import drawing
from experiments.models import ClassResult, Experiment, SavedComparison, ShapeClass
from models_zoo import shapes
from models_zoo.config import SEED_MAX, ConfigError, RunConfig

if TYPE_CHECKING:
    from models_zoo.classes import ClassSpec

logger = logging.getLogger(__name__)

TASK_PATH = "experiments.tasks.train_and_visualize"
REVISUALIZE_TASK_PATH = "experiments.revisualize.revisualize_task"
Status = Experiment.Status

WORKER_STOPPED = (
    "The worker stopped responding while training this experiment (it was killed, or ran out "
    "of memory or time); run it again, perhaps with fewer epochs, classes or copies."
)
ATTEMPTS_USED_UP = (
    "The worker stopped while training this experiment every time it was tried; "
    "run it again, perhaps with fewer epochs, classes or copies."
)


class ExperimentFinished(Exception):
    """The experiment has already finished, so it can no longer be cancelled."""


class TooManyActive(Exception):
    """The user already has as many queued or running experiments as allowed."""


def _initial_progress() -> dict[str, Any]:
    return {"phase": "queued", "done": 0, "total": 0, "fraction": 0.0, "metrics": {}}


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
    if len(run_config.classes) > settings.MAX_CLASSES:
        message = f"select at most {settings.MAX_CLASSES} classes on this server"
        raise ValidationError({"classes": [message]})
    for field, limit in (("epochs", settings.MAX_EPOCHS), ("max_steps", settings.MAX_STEPS)):
        value = getattr(run_config, field)
        if value > limit:
            message = f"must be at most {limit} on this server, not {value}"
            raise ValidationError({field: [message]})
    images = run_config.copies * len(run_config.classes)
    if images > settings.MAX_TRAINING_IMAGES:
        most = max(1, settings.MAX_TRAINING_IMAGES // len(run_config.classes))
        message = (
            f"{run_config.copies} copies of {len(run_config.classes)} classes make {images} "
            f"training images; this server allows {settings.MAX_TRAINING_IMAGES} "
            f"(at most {most} copies of this many classes)"
        )
        raise ValidationError({"copies": [message]})
    return run_config


def _trained_on(*, user: AbstractBaseUser, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """A copy of every class as it is now: catalogue shapes, then the user's own drawings
    (``drawn:<id>``), each with the user's highlight masks of it (None where there are none)."""
    drawn = {
        shape_class.key: shape_class
        for shape_class in ShapeClass.objects.filter(owner=user, key__in=keys)
    }
    shared = {
        shape_class.key: shape_class
        for shape_class in ShapeClass.objects.filter(owner__isnull=True, key__in=keys)
    }
    copies = []
    for key in keys:
        if key in shapes.CATALOGUE:
            shape = shapes.CATALOGUE[key]
            pixels = None if shape.is_noise else shape.image().tolist()
            noise = key if shape.is_noise else None
            copies.append({"key": key, "name": shape.name, "noise": noise, "pixels": pixels})
        elif (copy := drawing.drawn_copy(user=user, ref=key)) is not None:
            copies.append(copy)
        elif key in drawn or key in shared:
            shape_class = drawn.get(key) or shared[key]
            copies.append(
                {"key": key, "name": shape_class.name, "noise": None, "pixels": shape_class.pixels}
            )
        else:
            raise ValidationError({"classes": [f"unknown class {key!r}"]})
    drawing.attach_highlights(user=user, copies=copies)
    return copies


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
        )
        for item in experiment.trained_on
    ]


def _optional_mask(mask: list[list[float]] | None) -> np.ndarray | None:
    return None if mask is None else np.asarray(mask, np.float32)


@transaction.atomic
def experiment_create(
    *,
    user: AbstractBaseUser,
    config: Mapping[str, Any],
    trained_on: list[dict[str, Any]] | None = None,
    source: Experiment | None = None,
    kind: str = "train",
) -> Experiment:
    """Validates the settings, stores a queued experiment and enqueues it after commit.

    A re-run or re-visualization passes its ``source`` and that run's copy of the classes
    (``trained_on``), so it uses exactly the data the source used. While the user takes part
    in an open study, the settings must fit their condition and the experiment is tagged.
    """
    from studies import services as study_services

    run_config = validate_config(user=user, config=config)
    participant = study_services.check_run(user=user, config=run_config)
    if trained_on is None:
        trained_on = _trained_on(user=user, keys=run_config.classes)
    if run_config.highlight != "none" and not drawing.highlight_usable(
        copies=trained_on, outside_relevant=run_config.highlight_outside_relevant
    ):
        message = (
            "none of the selected classes has a highlight to use: paint a red region "
            "(or a yellow one, with everything outside yellow) on one first, or choose none"
        )
        raise ValidationError({"highlight": [message]})
    # Lock the user's row so that two requests at once cannot take the same number; SQLite
    # serialises writers anyway (transaction_mode IMMEDIATE).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    active = Experiment.objects.filter(owner=user, status__in=Experiment.ACTIVE).count()
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
        progress=_initial_progress(),
        kind=kind,
        source=source,
        sent_at=timezone.now(),  # its task goes out when this transaction commits
    )
    experiment.full_clean()
    experiment.save()
    if participant is not None:
        study_services.experiment_tag(experiment=experiment, participant=participant)
    experiment_id = experiment.pk
    transaction.on_commit(lambda: enqueue(experiment_id=experiment_id))
    return experiment


def enqueue(*, experiment_id: int) -> None:
    """Hands the experiment to the workers (also used to re-run a stuck queued experiment)."""
    kind = Experiment.objects.filter(pk=experiment_id).values_list("kind", flat=True).first()
    task = REVISUALIZE_TASK_PATH if kind == Experiment.Kind.REVISUALIZE else TASK_PATH
    async_task(task, experiment_id, task_name=f"experiment-{experiment_id}")


def broker_queue_size() -> int | None:
    """Tasks waiting in the broker's queue, or None when the broker cannot be asked."""
    from django_q.brokers import get_broker

    try:
        size = get_broker().queue_size()
    except Exception:
        logger.warning("Could not ask the queue broker for its size", exc_info=True)
        return None
    return None if size is None else int(size)


# How many waiting tasks a watchdog round reads to learn which experiments they are for.
BROKER_PEEK_LIMIT = 5000


def broker_waiting_experiments() -> set[int] | None:
    """The experiments whose task waits in the broker's queue (or, with the database broker,
    is being worked on); None when the queue cannot be read, or is longer than
    BROKER_PEEK_LIMIT. Tasks of other kinds, or signed by another site, are skipped."""
    from django_q.brokers import get_broker
    from django_q.brokers.orm import ORM
    from django_q.brokers.redis_broker import Redis
    from django_q.signing import SignedPackage

    try:
        broker = get_broker()
        if isinstance(broker, Redis):
            payloads = broker.connection.lrange(broker.list_key, 0, BROKER_PEEK_LIMIT)
        elif isinstance(broker, ORM):
            rows = broker.get_connection().filter(key=broker.list_key).order_by("id")
            payloads = list(rows.values_list("payload", flat=True)[: BROKER_PEEK_LIMIT + 1])
        else:
            return None
    except Exception:
        logger.warning("Could not read the queue broker's waiting tasks", exc_info=True)
        return None
    if len(payloads) > BROKER_PEEK_LIMIT:
        return None
    experiment_ids = set()
    for payload in payloads:
        try:
            task = SignedPackage.loads(payload)
        except Exception:
            continue
        if not isinstance(task, dict):
            continue
        args = task.get("args")
        if task.get("func") in (TASK_PATH, REVISUALIZE_TASK_PATH) and args:
            with contextlib.suppress(TypeError, ValueError):
                experiment_ids.add(int(args[0]))
    return experiment_ids


def experiment_resend_lost(*, now: datetime | None = None) -> list[int]:
    """Sends the task again for queued experiments whose task the broker lost.

    An experiment still queued RESEND_AFTER seconds after its task was sent, with no task for
    it among those waiting in the broker's queue, has lost its task (Redis keeps its queue in
    memory, so a restart loses it). Where the queue cannot be read, only an empty queue says
    so. Sending it again is safe: a task for an experiment that another task already started
    does nothing. Each experiment is claimed by a conditional update, so of several
    watchdogs only one sends it. Returns the ids sent again.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.RESEND_AFTER)
    waiting = Experiment.objects.filter(status=Status.QUEUED).filter(
        Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True, created_at__lt=cutoff)
    )
    candidates = list(waiting.values_list("pk", "sent_at"))
    if not candidates:
        return []
    in_queue = broker_waiting_experiments()
    if in_queue is None:
        if broker_queue_size() != 0:
            return []
        in_queue = set()
    resent = []
    for experiment_id, sent_at in candidates:
        if experiment_id in in_queue:
            continue
        claim = Experiment.objects.filter(pk=experiment_id, status=Status.QUEUED)
        claim = claim.filter(sent_at=sent_at) if sent_at else claim.filter(sent_at__isnull=True)
        if claim.update(sent_at=now):
            enqueue(experiment_id=experiment_id)
            resent.append(experiment_id)
    if resent:
        logger.warning("Sent the task again (the broker had lost it): %s", resent)
    return resent


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


@transaction.atomic
def experiment_start(*, experiment_id: int) -> bool:
    """Moves a queued experiment to running; False when another delivery got there first.

    An experiment is started at most MAX_ATTEMPTS times: one that has used them all (its
    workers kept dying) is failed instead, so a task the broker hands out again and again
    never trains it once more.
    """
    now = timezone.now()
    changed = Experiment.objects.filter(
        pk=experiment_id, status=Status.QUEUED, attempts__lt=settings.MAX_ATTEMPTS
    ).update(status=Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1)
    if changed == 0:
        Experiment.objects.filter(
            pk=experiment_id, status=Status.QUEUED, attempts__gte=settings.MAX_ATTEMPTS
        ).update(status=Status.FAILED, finished_at=now, error=ATTEMPTS_USED_UP)
    return changed == 1


def experiment_beat(*, experiment_id: int) -> bool:
    """The worker running the experiment is alive: refresh its heartbeat only."""
    changed = Experiment.objects.filter(pk=experiment_id, status=Status.RUNNING).update(
        heartbeat_at=timezone.now()
    )
    return changed == 1


@transaction.atomic
def experiment_progress(*, experiment_id: int, progress: Mapping[str, Any]) -> bool:
    """Records progress and the heartbeat; False when the experiment is no longer running."""
    changed = Experiment.objects.filter(pk=experiment_id, status=Status.RUNNING).update(
        progress=dict(progress), heartbeat_at=timezone.now()
    )
    return changed == 1


@transaction.atomic
def experiment_fail(*, experiment_id: int, error: str) -> bool:
    """Marks a queued or running experiment failed with a message a person can read."""
    changed = Experiment.objects.filter(pk=experiment_id, status__in=Experiment.ACTIVE).update(
        status=Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    return changed == 1


def experiment_reap_stale(*, now: datetime | None = None) -> int:
    """Fails experiments no worker is looking after, so that none stays active forever.

    A running experiment whose worker stopped beating (killed, out of memory, its machine
    gone) for HEARTBEAT_TIMEOUT goes back to the queue while it has attempts left
    (MAX_ATTEMPTS), and is failed after that; a queued one that no worker took for
    QUEUE_TIMEOUT (the broker lost it, or no worker runs) is failed too. Returns how many
    experiments were failed or queued again. Run by every worker's watchdog and by a schedule.
    """
    now = now or timezone.now()
    requeued: list[int] = []
    with transaction.atomic():
        stale = Experiment.objects.filter(
            status=Status.RUNNING,
            heartbeat_at__lt=now - timedelta(seconds=settings.HEARTBEAT_TIMEOUT),
        )
        for experiment_id in stale.filter(attempts__lt=settings.MAX_ATTEMPTS).values_list(
            "pk", flat=True
        ):
            # The heartbeat stamps the moment it went back, for the QUEUE_TIMEOUT check below.
            if stale.filter(pk=experiment_id).update(
                status=Status.QUEUED, heartbeat_at=now, sent_at=now, progress=_initial_progress()
            ):
                requeued.append(experiment_id)
        dead = stale.update(status=Status.FAILED, finished_at=now, error=WORKER_STOPPED)
        waited_too_long = now - timedelta(seconds=settings.QUEUE_TIMEOUT)
        forgotten = (
            Experiment.objects.filter(status=Status.QUEUED)
            .filter(
                Q(heartbeat_at__isnull=True, created_at__lt=waited_too_long)
                | Q(heartbeat_at__lt=waited_too_long)
            )
            .update(
                status=Status.FAILED,
                finished_at=now,
                error="No worker took this experiment in time. Is a worker running? Try again.",
            )
        )
        for experiment_id in requeued:
            transaction.on_commit(lambda pk=experiment_id: enqueue(experiment_id=pk))
    if requeued:
        logger.warning("Queued again after their worker stopped: %s", requeued)
    return dead + forgotten + len(requeued)


@dataclass(frozen=True)
class ClassImages:
    """One class's outcome in the form the platform stores (no TensorFlow objects)."""

    key: str
    name: str
    image: np.ndarray
    template: np.ndarray
    r: float | None
    steps: int
    reached: bool
    probability: float
    snapshots: np.ndarray | None = None


@dataclass(frozen=True)
class Outcome:
    """Everything a finished run leaves behind, ready to be stored."""

    classes: list[ClassImages]
    history: dict[str, list[float | None]]
    loss: float | None
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    training: dict[str, Any]
    cross_r: list[list[float | None]]
    timings: dict[str, float]
    write_weights: Callable[[str], str] | None = None
    highlight_effects: list[dict[str, Any]] = dataclass_field(default_factory=list)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def _temporary_dir() -> str:
    """A scratch folder on the same file system as the media files when they are local, so
    that moving a finished file into place is an atomic rename."""
    if isinstance(default_storage, FileSystemStorage):
        scratch = Path(default_storage.location) / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        return tempfile.mkdtemp(dir=scratch)
    return tempfile.mkdtemp()


class _FinishedFile(File):
    """A complete file on disk; FileSystemStorage renames it into place instead of copying."""

    def temporary_file_path(self) -> str:
        return str(self.name_on_disk)

    def __init__(self, path: str) -> None:
        self.name_on_disk = path
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115


def _store(scratch: str, name: str, data: bytes | None = None, *, path: str | None = None) -> str:
    """Writes ``data`` (or the finished file at ``path``) into media storage as ``name``."""
    if path is None:
        path = os.path.join(scratch, os.path.basename(name))
        partial = path + ".part"
        with open(partial, "wb") as handle:
            handle.write(data or b"")
        os.replace(partial, path)
    finished = _FinishedFile(path)
    try:
        return default_storage.save(name, finished)
    except BaseException:
        # A storage that fails half-way (a full disk) may leave part of the file behind.
        _remove_partial(name)
        raise
    finally:
        finished.close()


def _remove_partial(name: str) -> None:
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        logger.warning("Could not remove the partial file %s", name)


def experiment_finish(*, experiment_id: int, outcome: Outcome) -> bool:
    """Stores a finished run: files first (outside the transaction), then one atomic update.

    Returns False, and removes the files again, when the experiment stopped running in the
    meantime (cancelled, or failed by the stale-worker check).
    """
    from models_zoo.render import to_png

    scratch = _temporary_dir()
    stored: list[str] = []
    try:
        weights_name = ""
        weights_sha256 = ""
        if outcome.write_weights is not None:
            weights_path = os.path.join(scratch, f"experiment-{experiment_id}.weights.h5")
            weights_sha256 = outcome.write_weights(weights_path)
            weights_name = _store(
                scratch, f"weights/experiment-{experiment_id}.weights.h5", path=weights_path
            )
            stored.append(weights_name)
        rows = []
        for position, item in enumerate(outcome.classes):
            prefix = f"results/{experiment_id}/{position}"
            image_name = _store(scratch, f"{prefix}-image.png", to_png(item.image))
            stored.append(image_name)
            template_name = _store(scratch, f"{prefix}-template.png", to_png(item.template))
            stored.append(template_name)
            rows.append(
                ClassResult(
                    experiment_id=experiment_id,
                    position=position,
                    class_key=item.key,
                    name=item.name,
                    image=image_name,
                    image_raw=_npy_bytes(item.image),
                    template=template_name,
                    r=item.r,
                    steps=item.steps,
                    reached=item.reached,
                    probability=item.probability,
                    snapshots=None if item.snapshots is None else _npy_bytes(item.snapshots),
                )
            )
        saved = _retrying_database(
            lambda: _save_outcome(
                experiment_id=experiment_id,
                outcome=outcome,
                rows=rows,
                weights_name=weights_name,
                weights_sha256=weights_sha256,
            )
        )
    except BaseException:
        _delete(stored)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not saved:
        _delete(stored)
    return saved


# A finished run waits this long in all for a database that is briefly away (a restart, a
# fail-over) before it gives up: the results of minutes of training are worth a few seconds.
DATABASE_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)


def _retrying_database(save: Callable[[], bool]) -> bool:
    """Runs ``save`` (one transaction), again after a pause while the database is away."""
    for delay in (*DATABASE_RETRY_DELAYS_S, None):
        try:
            return save()
        except (OperationalError, InterfaceError):
            if delay is None:
                raise
            logger.warning("The database is unavailable; saving again in %.1f s", delay)
            # The broken connection is dropped so that the next try opens a fresh one.
            connection.close()
            time.sleep(delay)
    raise AssertionError("unreachable")


def _delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s", name)


@transaction.atomic
def _save_outcome(
    *,
    experiment_id: int,
    outcome: Outcome,
    rows: list[ClassResult],
    weights_name: str,
    weights_sha256: str,
) -> bool:
    experiment = (
        Experiment.objects.select_for_update()
        .filter(pk=experiment_id, status=Status.RUNNING)
        .first()
    )
    if experiment is None:
        return False
    for row in rows:
        row.full_clean(exclude=["experiment"])
    ClassResult.objects.bulk_create(rows)
    now = timezone.now()
    experiment.status = Status.DONE
    experiment.finished_at = now
    experiment.heartbeat_at = now
    experiment.progress = {
        "phase": "done",
        "done": 1,
        "total": 1,
        "fraction": 1.0,
        "metrics": dict(experiment.progress.get("metrics", {})),
    }
    experiment.accuracy = outcome.accuracy
    experiment.loss = outcome.loss
    experiment.val_accuracy = outcome.val_accuracy
    experiment.val_loss = outcome.val_loss
    experiment.history = outcome.history
    experiment.training = outcome.training
    experiment.cross_r = outcome.cross_r
    experiment.timings = outcome.timings
    experiment.highlight_effects = outcome.highlight_effects
    experiment.weights.name = weights_name
    experiment.weights_sha256 = weights_sha256
    experiment.full_clean()
    experiment.save()
    return True


# --- history: tags, notes, saved comparisons and sets of experiments -------------------

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_TAGS = 10
MAX_NOTE_LENGTH = 5000
# A comparison page shows one column per experiment: past a dozen it stops being readable.
MAX_COMPARED = 12


def clean_tags(tags: Any) -> list[str]:
    """Tags as stored: lowercase words of letters, digits, - and _, each once, in order."""
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError({"tags": ["Send the tags as a list of words."]})
    cleaned: list[str] = []
    for tag in tags:
        word = tag.strip().lower()
        if not TAG_PATTERN.match(word):
            message = (
                f"{tag!r} is not a tag: use up to 32 letters, digits, - or _, "
                "starting with a letter or digit"
            )
            raise ValidationError({"tags": [message]})
        if word not in cleaned:
            cleaned.append(word)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": [f"use at most {MAX_TAGS} tags, not {len(cleaned)}"]})
    return cleaned


@transaction.atomic
def experiment_annotate(
    *,
    user: AbstractBaseUser,
    experiment: Experiment,
    tags: Any = None,
    note: Any = None,
) -> Experiment:
    """Changes the owner's tags and/or note of an experiment (None leaves one as it is)."""
    changes: dict[str, Any] = {}
    if tags is not None:
        changes["tags"] = clean_tags(tags)
    if note is not None:
        if not isinstance(note, str):
            raise ValidationError({"note": ["Send the note as text."]})
        if len(note) > MAX_NOTE_LENGTH:
            message = f"keep the note to {MAX_NOTE_LENGTH} characters, not {len(note)}"
            raise ValidationError({"note": [message]})
        changes["note"] = note.strip()
    if changes:
        Experiment.objects.filter(pk=experiment.pk, owner=user).update(**changes)
        experiment.refresh_from_db(fields=list(changes))
    return experiment


def clean_experiment_ids(*, user: AbstractBaseUser, ids: Any, field: str) -> list[int]:
    """Two or more distinct ids of the user's own experiments, in the order given."""
    if not isinstance(ids, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in ids
    ):
        raise ValidationError({field: ["Send the experiments as a list of ids."]})
    if len(ids) != len(set(ids)):
        raise ValidationError({field: ["an experiment is listed twice"]})
    if not 2 <= len(ids) <= MAX_COMPARED:
        message = f"compare from 2 to {MAX_COMPARED} experiments, not {len(ids)}"
        raise ValidationError({field: [message]})
    # An id beyond the database's 64-bit integers cannot exist (and SQLite refuses to compare).
    in_range = [pk for pk in ids if 0 < pk < 2**63]
    owned = set(Experiment.objects.filter(owner=user, pk__in=in_range).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in owned]
    if missing:
        raise ValidationError({field: [f"no such experiments: {missing}"]})
    return list(ids)


@transaction.atomic
def saved_comparison_create(
    *, user: AbstractBaseUser, name: Any, experiment_ids: Any, options: Any = None
) -> SavedComparison:
    """Saves a named comparison of the user's own experiments with the page's options."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": ["Give the comparison a name."]})
    options = {} if options is None else options
    if not isinstance(options, Mapping):
        raise ValidationError({"options": ["Send the options as an object."]})
    ids = clean_experiment_ids(user=user, ids=experiment_ids, field="experiment_ids")
    base = options.get("base")
    if base is not None and base not in ids:
        raise ValidationError({"options": ["the base must be one of the compared experiments"]})
    comparison = SavedComparison(
        owner=user,
        name=name.strip(),
        experiment_ids=ids,
        options={"base": base or ids[0], "all": bool(options.get("all", False))},
    )
    comparison.full_clean()
    comparison.save()
    return comparison


def saved_comparison_delete(*, user: AbstractBaseUser, comparison: SavedComparison) -> None:
    SavedComparison.objects.filter(pk=comparison.pk, owner=user).delete()


@transaction.atomic
def experiment_create_set(
    *, user: AbstractBaseUser, configs: list[Mapping[str, Any]], tags: list[str] | None = None
) -> list[Experiment]:
    """Queues several experiments as one: all of them, or none.

    The set counts against MAX_ACTIVE_EXPERIMENTS like single runs do, but as a whole: when
    the user's active runs plus the set would pass the limit, nothing is queued and
    ``TooManyActive`` says how many places are free. So a set never stops half-queued.
    """
    for config in configs:
        validate_config(user=user, config=config)
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    active = Experiment.objects.filter(owner=user, status__in=Experiment.ACTIVE).count()
    free = max(0, settings.MAX_ACTIVE_EXPERIMENTS - active)
    if len(configs) > free:
        raise TooManyActive(
            f"These {len(configs)} experiments need {len(configs)} free places in the queue; "
            f"you have {active} queued or running of the {settings.MAX_ACTIVE_EXPERIMENTS} "
            f"allowed, so {free} free. Wait for your runs to finish or cancel some."
        )
    experiments = [experiment_create(user=user, config=config) for config in configs]
    if tags:
        cleaned = clean_tags(tags)
        Experiment.objects.filter(pk__in=[e.pk for e in experiments]).update(tags=cleaned)
        for experiment in experiments:
            experiment.tags = cleaned
    return experiments
