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
        from drawing import signals as drawing_signals
        from experiments import hooks
        from history import signals as history_signals
        from studies import receivers

        hooks.register_run_check(_check_run)
        # What goes through the API is logged by the server for participants: see receivers.
        hooks.experiment_created.connect(receivers.run_started, dispatch_uid="studies-run")
        drawing_signals.drawn_class_saved.connect(
            receivers.drawing_saved, dispatch_uid="studies-drawing"
        )
        drawing_signals.highlight_saved.connect(
            receivers.highlight_painted, dispatch_uid="studies-highlight"
        )
        history_signals.comparison_opened.connect(
            receivers.comparison_opened, dispatch_uid="studies-comparison"
        )


def _check_run(user: Any, config: Any) -> Any:
    from studies import services

    participant = services.check_run(user=user, config=config)
    if participant is None:
        return None
    return lambda experiment: services.experiment_tag(
        experiment=experiment, participant=participant
    )
