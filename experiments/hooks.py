"""Where feature apps hook into runs, so that ``experiments`` never imports them.

Dependencies run one way (``models_zoo`` <- ``experiments`` <- the feature apps). A feature
app that needs a say in a run registers a function here from its ``AppConfig.ready()``:

- a **class source** turns a class key of a run configuration that is not in the built-in
  catalogue (``drawn:12``) into the copy an experiment keeps of that class;
- a **class decorator** adds to those copies (the drawing app adds the user's highlight masks);
- a **run check** looks at validated settings before a run is stored and may refuse them
  (raising ``ValidationError`` naming the field) or return a function to call with the new
  experiment once it is stored (the study app tags the run with the participant's condition).

- a **queue keeper** sends the tasks of some queued experiments itself, later and in its
  own way (a sweep hands its members to the workers group by group): it names the queued
  experiments it still holds back, which the reliability checks then neither send again nor
  fail for waiting, and which do not count as a user's active runs; and the task paths that
  carry experiments, so that a look into the broker's queue sees them.

``experiment_created`` is sent once a new experiment row is stored (sender: the Experiment
class; ``experiment`` and ``user`` as arguments), inside the creating transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

    from experiments.models import Experiment
    from models_zoo.config import RunConfig

ClassCopy = dict[str, Any]
ClassSource = Callable[["AbstractBaseUser", str], "ClassCopy | None"]
ClassDecorator = Callable[["AbstractBaseUser", list[ClassCopy]], None]
AfterCreate = Callable[["Experiment"], None]
RunCheck = Callable[["AbstractBaseUser", "RunConfig"], "AfterCreate | None"]
# () -> the ids of the queued experiments held back (a query of ``pk`` values)
HeldSource = Callable[[], "QuerySet[Any]"]
# a task's arguments -> the experiments it carries
TaskReader = Callable[[Sequence[Any]], Iterable[int]]

experiment_created = Signal()

_class_sources: list[ClassSource] = []
_class_decorators: list[ClassDecorator] = []
_run_checks: list[RunCheck] = []
_held_sources: list[HeldSource] = []
_task_readers: dict[str, TaskReader] = {}


def register_class_source(source: ClassSource) -> None:
    """Adds a function ``(user, key) -> copy or None`` asked for keys outside the catalogue."""
    if source not in _class_sources:
        _class_sources.append(source)


def register_class_decorator(decorator: ClassDecorator) -> None:
    """Adds a function ``(user, copies) -> None`` that may add fields to each class copy."""
    if decorator not in _class_decorators:
        _class_decorators.append(decorator)


def register_run_check(check: RunCheck) -> None:
    """Adds a function ``(user, config) -> after_create or None`` run before each new run."""
    if check not in _run_checks:
        _run_checks.append(check)


def class_copy(user: AbstractBaseUser, key: str) -> ClassCopy | None:
    """The first registered source's copy of class ``key``, or None when none knows it."""
    for source in _class_sources:
        copy = source(user, key)
        if copy is not None:
            return copy
    return None


def decorate_classes(user: AbstractBaseUser, copies: list[ClassCopy]) -> None:
    for decorator in _class_decorators:
        decorator(user, copies)


def check_run(user: AbstractBaseUser, config: RunConfig) -> list[AfterCreate]:
    """Runs every run check; returns what each wants done with the stored experiment."""
    after: list[AfterCreate] = []
    for check in _run_checks:
        callback = check(user, config)
        if callback is not None:
            after.append(callback)
    return after


def register_queue_keeper(held: HeldSource, tasks: dict[str, TaskReader]) -> None:
    """Adds a source of held-back queued experiments and the task paths that carry them."""
    if held not in _held_sources:
        _held_sources.append(held)
    _task_readers.update(tasks)


def exclude_held(queryset: QuerySet[Experiment]) -> QuerySet[Experiment]:
    """The experiments of ``queryset`` that no queue keeper holds back."""
    for source in _held_sources:
        queryset = queryset.exclude(pk__in=source())
    return queryset


def task_experiments(func: Any, args: Sequence[Any]) -> Iterable[int] | None:
    """The experiments a registered task carries; None for a task path not registered."""
    reader = _task_readers.get(func) if isinstance(func, str) else None
    return None if reader is None else reader(args)
