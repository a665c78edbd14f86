from __future__ import annotations

from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        # Only connects a signal receiver: each task worker starts its watchdog thread when
        # django-q spawns it. Nothing here imports TensorFlow.
        from experiments import watchdog

        watchdog.connect()
