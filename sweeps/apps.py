from __future__ import annotations

from typing import Any

from django.apps import AppConfig

GROUP_TASK_PATH = "sweeps.tasks.train_group"


class SweepsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sweeps"
    verbose_name = "Sweeps"

    def ready(self) -> None:
        # A sweep's members wait, held back, until their group's turn comes; the sweep sends
        # each group as one task. The experiments app learns which runs those are through
        # its hooks, so that it neither sends them one by one nor fails them for waiting.
        from experiments import hooks

        hooks.register_queue_keeper(_held, {GROUP_TASK_PATH: _group_experiments})


def _held() -> Any:
    from sweeps.models import SweepMember

    return SweepMember.objects.filter(sent_at__isnull=True).values("experiment_id")


def _group_experiments(args: Any) -> list[int]:
    return [int(pk) for pk in args[0]]
