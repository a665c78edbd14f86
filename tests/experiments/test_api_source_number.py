"""A follow-up run names its source by the owner's number as well as by its database id."""

from __future__ import annotations

from typing import Any

import pytest

from experiments import services
from experiments.models import Experiment
from tests.factories import finished_run, queued_run

pytestmark = pytest.mark.django_db


def follow_up(source: Experiment, kind: str) -> Experiment:
    """A run made from ``source``, as a re-run or a re-visualization makes it."""
    return services.experiment_create(
        user=source.owner,
        config=source.config,
        trained_on=list(source.trained_on),
        source=source,
        kind=kind,
    )


def test_a_follow_up_carries_its_source_number(alice: Any, bob: Any, alice_api: Any) -> None:
    queued_run(bob)  # alice's ids are then not her numbers
    source = finished_run(alice)
    rerun = follow_up(source, Experiment.Kind.TRAIN)
    images = follow_up(source, Experiment.Kind.REVISUALIZE)
    assert source.pk != source.number == 1

    listed = alice_api.get("/api/v1/experiments/").json()["results"]
    by_id = {row["id"]: row for row in listed}
    assert by_id[source.pk]["source"] is None and by_id[source.pk]["source_number"] is None
    for made in (rerun, images):
        assert by_id[made.pk]["source"] == source.pk
        assert by_id[made.pk]["source_number"] == 1
    detail = alice_api.get(f"/api/v1/experiments/{images.pk}/").json()
    assert detail["source_number"] == 1

    # A deleted source leaves nothing to name.
    source.delete()
    detail = alice_api.get(f"/api/v1/experiments/{rerun.pk}/").json()
    assert detail["source"] is None and detail["source_number"] is None


def test_listing_follow_ups_costs_no_query_per_row(
    alice: Any, alice_api: Any, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 20
    source = finished_run(alice)
    for _ in range(2):
        follow_up(source, Experiment.Kind.TRAIN)
    with django_assert_max_num_queries(12) as few:
        alice_api.get("/api/v1/experiments/")
    for _ in range(6):
        follow_up(source, Experiment.Kind.TRAIN)
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_api.get("/api/v1/experiments/")
