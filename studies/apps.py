from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class StudiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "studies"
    verbose_name = "Evaluation studies"

    def ready(self) -> None:
        # A participant's runs must fit their condition and are tagged with it: the study app
        # hooks into run creation, so the experiments app never imports it.
        from experiments import hooks

        hooks.register_run_check(_check_run)


def _check_run(user: Any, config: Any) -> Any:
    from studies import services

    participant = services.check_run(user=user, config=config)
    if participant is None:
        return None
    return lambda experiment: services.experiment_tag(
        experiment=experiment, participant=participant
    )
