"""The staff console lists what workers computed inside runs, and lets nobody edit it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inspector.models import AttributionMap, UnitImages
from tests.factories import finished_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(alice: Any) -> dict[str, Any]:
    experiment = finished_run(alice)
    grid = [[0.0] * 28 for _ in range(28)]
    attribution = AttributionMap.objects.create(
        experiment=experiment,
        class_key=experiment.class_keys[0],
        method="saliency",
        status=AttributionMap.Status.DONE,
        values=grid,
    )
    units = UnitImages.objects.create(
        experiment=experiment, layer="dense_1", status=UnitImages.Status.PENDING
    )
    return {"attributionmap": attribution, "unitimages": units}


@pytest.mark.parametrize("model", ["attributionmap", "unitimages"])
def test_staff_see_the_rows_and_cannot_add_or_change_them(
    staff_client: Client, rows: dict[str, Any], model: str
) -> None:
    listing = staff_client.get(f"/admin/inspector/{model}/")
    assert listing.status_code == 200
    assert f"/admin/inspector/{model}/{rows[model].pk}/change/" in listing.content.decode()
    assert staff_client.get(f"/admin/inspector/{model}/add/").status_code == 403
    opened = staff_client.get(f"/admin/inspector/{model}/{rows[model].pk}/change/")
    assert opened.status_code == 200
    assert 'name="_save"' not in opened.content.decode()
