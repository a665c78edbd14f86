"""Every write of the history: tags and notes, saved comparisons, sets of experiments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from experiments.models import Experiment, clean_tags
from experiments.services import TooManyActive, experiment_create, validate_config
from experiments.text import clean_text
from history.models import SavedComparison
from history.scenarios import SCENARIOS

MAX_NOTE_LENGTH = 5000
# A comparison page shows one column per experiment: past a dozen it stops being readable.
MIN_COMPARED = 2
MAX_COMPARED = 12
# Ids are 64-bit signed integers in the database: a larger one cannot exist (and SQLite
# refuses to compare it).
MAX_ID = 2**63 - 1


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
        clean_text(note, field="note", max_length=MAX_NOTE_LENGTH, multiline=True)
        changes["note"] = note.strip()
    if changes:
        Experiment.objects.filter(pk=experiment.pk, owner=user).update(**changes)
        experiment.refresh_from_db(fields=list(changes))
    return experiment


def check_compared_ids(ids: list[int], *, field: str) -> list[int]:
    """The experiments a comparison shows: MIN_COMPARED to MAX_COMPARED distinct positive
    ids, in the order given. Whose they are is checked where they are read."""
    if any(pk < 1 or pk > MAX_ID for pk in ids):
        raise ValidationError({field: ["Each id must be a positive whole number."]})
    if len(set(ids)) != len(ids):
        raise ValidationError({field: ["An experiment is listed twice."]})
    if not MIN_COMPARED <= len(ids) <= MAX_COMPARED:
        message = f"Compare from {MIN_COMPARED} to {MAX_COMPARED} experiments, not {len(ids)}."
        raise ValidationError({field: [message]})
    return list(ids)


def clean_experiment_ids(*, user: AbstractBaseUser, ids: Any, field: str) -> list[int]:
    """Two or more distinct ids of the user's own experiments, in the order given."""
    if not isinstance(ids, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in ids
    ):
        raise ValidationError({field: ["Send the experiments as a list of ids."]})
    ids = check_compared_ids(list(ids), field=field)
    owned = set(Experiment.objects.filter(owner=user, pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in owned]
    if missing:
        raise ValidationError({field: [f"no such experiments: {missing}"]})
    return ids


def clean_comparison_options(options: Mapping[str, Any], *, ids: list[int]) -> dict[str, Any]:
    """The options a saved comparison keeps: its base column (an id among ``ids``, the first
    by default), whether every setting is listed, and the paper scenario it answers, if any.

    JSON's ``true`` is a Python int (``True == 1``), so a bool is refused as a base before it
    can pass for experiment 1, and "all" must be a real true or false.
    """
    base = options.get("base")
    if base is not None:
        if isinstance(base, bool) or not isinstance(base, int):
            raise ValidationError({"options": ["the base must be an experiment id"]})
        if base not in ids:
            message = "the base must be one of the compared experiments"
            raise ValidationError({"options": [message]})
    show_all = options.get("all", False)
    if not isinstance(show_all, bool):
        raise ValidationError({"options": ['"all" must be true or false']})
    cleaned: dict[str, Any] = {"base": ids[0] if base is None else base, "all": show_all}
    scenario = options.get("scenario")
    if scenario is not None:
        if not isinstance(scenario, str) or scenario not in SCENARIOS:
            known = ", ".join(SCENARIOS)
            message = f"the scenario must be one of the paper's: {known}"
            raise ValidationError({"options": [message]})
        cleaned["scenario"] = scenario
    return cleaned


@transaction.atomic
def saved_comparison_create(
    *, user: AbstractBaseUser, name: Any, experiment_ids: Any, options: Any = None
) -> SavedComparison:
    """Saves a named comparison of the user's own experiments with the page's options."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": ["Give the comparison a name."]})
    clean_text(name, field="name")  # no invisible or bidirectional control characters
    options = {} if options is None else options
    if not isinstance(options, Mapping):
        raise ValidationError({"options": ["Send the options as an object."]})
    ids = clean_experiment_ids(user=user, ids=experiment_ids, field="experiment_ids")
    comparison = SavedComparison(
        owner=user,
        name=name.strip(),
        experiment_ids=ids,
        options=clean_comparison_options(options, ids=ids),
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
