"""Study events the server records itself, from the signals of the apps below studies.

A participant's page logs what only the page knows (page views, time on a page, class picks,
the tasks panel) through ``POST /api/v1/events/``. What goes through the API the server
knows better, so it records it here, for participants of an open study only, with the type
names and data the page used to send (event: signal: data):

- ``run_started``: ``experiments.hooks.experiment_created``: ``classes``, ``model``,
  ``highlight`` and ``kind`` (train or revisualize), with ``from`` for a run made from
  another (a re-run, a re-visualization, a highlight baseline);
- ``drawing_saved``: ``drawing.signals.drawn_class_saved``: ``strokes``;
- ``highlight_painted``: ``drawing.signals.highlight_saved``: ``strokes``;
- ``comparison_opened``: ``history.signals.comparison_opened``: ``ids``.

How to tell them from the page's own events: their ``page`` is the API path of what they are
about (the new experiment, the saved class or highlight, ``/api/v1/compare/``), where a page
logs its own path; and their ``client_time`` is the server's time. ``from`` is the API path
of the experiment a run came from. ``strokes`` is the page's count of pen strokes for the
save, or null when it sent none. Every run a participant's request creates is recorded,
including a scenario's runs and a highlight baseline, and so is a re-run staff start from
the admin, as it runs under the participant's name.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from studies import services


def _api_path(name: str, pk: int) -> str:
    return reverse(f"api:{name}", kwargs={"pk": pk})


def run_started(sender: Any, *, experiment: Any, user: Any, **kwargs: Any) -> None:
    data: dict[str, Any] = {
        "classes": list(experiment.class_keys),
        "model": experiment.model_name,
        "highlight": experiment.config.get("highlight"),
        "kind": experiment.kind,
    }
    if experiment.source_id is not None:
        data["from"] = _api_path("experiment-detail", experiment.source_id)
    services.server_event_record(
        user=user,
        kind="run_started",
        page=_api_path("experiment-detail", experiment.pk),
        data=data,
    )


def drawing_saved(
    sender: Any, *, shape_class: Any, user: Any, strokes: int | None = None, **kwargs: Any
) -> None:
    services.server_event_record(
        user=user,
        kind="drawing_saved",
        page=_api_path("class-detail", shape_class.pk),
        data={"strokes": strokes},
    )


def highlight_painted(
    sender: Any, *, highlight: Any, user: Any, strokes: int | None = None, **kwargs: Any
) -> None:
    services.server_event_record(
        user=user,
        kind="highlight_painted",
        page=_api_path("highlight-detail", highlight.pk),
        data={"strokes": strokes},
    )


def comparison_opened(sender: Any, *, user: Any, ids: list[int], **kwargs: Any) -> None:
    services.server_event_record(
        user=user, kind="comparison_opened", page=reverse("api:compare"), data={"ids": list(ids)}
    )
