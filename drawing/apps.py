from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class DrawingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "drawing"
    verbose_name = "Drawn classes and highlights"

    def ready(self) -> None:
        # Runs learn of drawn classes and highlight masks through the experiments app's hooks,
        # so that app never imports this one. Nothing here imports TensorFlow.
        from experiments import hooks

        hooks.register_class_source(_class_copy)
        hooks.register_class_decorator(_attach_highlights)


def _class_copy(user: Any, key: str) -> dict[str, Any] | None:
    from drawing import selectors

    return selectors.drawn_copy(user=user, ref=key) or selectors.keyed_copy(user=user, key=key)


def _attach_highlights(user: Any, copies: list[dict[str, Any]]) -> None:
    from drawing import selectors

    selectors.attach_highlights(user=user, copies=copies)
