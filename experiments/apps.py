from __future__ import annotations

from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        # Only connects signal receivers: each task worker starts its watchdog thread when
        # django-q spawns it, and a deleted row takes its files along. Nothing here imports
        # TensorFlow.
        from experiments import files, watchdog

        watchdog.connect()
        files.connect()
