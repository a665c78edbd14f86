"""A follow-up run names its source by the owner's number as well as by its database id."""

from __future__ import annotations

from typing import Any

import pytest

from experiments.models import Experiment
from models_zoo.config import RunConfig

pytestmark = pytest.mark.django_db


def stored(owner: Any, number: int, **fields: Any) -> Experiment:
    """A finished row as a worker leaves it (nothing needs training here)."""
    config = RunConfig(classes=("box", "line"), seed=number).to_dict()
    return Experiment.objects.create(
        owner=owner,
        number=number,
        config=config,
        model_name="mlp",
        class_keys=["box", "line"],
        seed=number,
        status="done",
        **fields,
    )


def test_a_follow_up_carries_its_source_number(alice: Any, bob: Any, alice_api: Any) -> None:
    stored(bob, 1)  # alice's ids are then not her numbers
    source = stored(alice, 1)
    rerun = stored(alice, 2, kind="train", source=source)
    images = stored(alice, 3, kind="revisualize", source=source)
    assert source.pk != source.number

    listed = alice_api.get("/api/v1/experiments/").json()["results"]
    by_id = {row["id"]: row for row in listed}
    assert by_id[source.pk]["source"] is None and by_id[source.pk]["source_number"] is None
    for follow_up in (rerun, images):
        assert by_id[follow_up.pk]["source"] == source.pk
        assert by_id[follow_up.pk]["source_number"] == 1
    detail = alice_api.get(f"/api/v1/experiments/{images.pk}/").json()
    assert detail["source_number"] == 1

    # A deleted source leaves nothing to name.
    source.delete()
    detail = alice_api.get(f"/api/v1/experiments/{rerun.pk}/").json()
    assert detail["source"] is None and detail["source_number"] is None
