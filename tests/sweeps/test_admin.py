"""The admin console lists sweeps with their runs; the drain schedule is installed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_q.models import Schedule

from sweeps import services as sweeps
from tests.sweeps.helpers import BASE

pytestmark = pytest.mark.django_db


def test_the_admin_lists_sweeps_and_shows_their_runs(staff_client: Client, alice: Any) -> None:
    sweep = sweeps.sweep_create(user=alice, config=BASE, seeds=3, vary=None, name="spread")
    listing = staff_client.get("/admin/sweeps/sweep/")
    assert listing.status_code == 200
    assert b"spread" in listing.content
    assert staff_client.get(f"/admin/sweeps/sweep/?owner__id__exact={alice.pk}").status_code == 200
    page = staff_client.get(f"/admin/sweeps/sweep/{sweep.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    for member in sweep.members.select_related("experiment"):
        assert str(member.experiment) in text
    assert staff_client.get("/admin/sweeps/sweep/add/").status_code == 403


def test_the_scheduler_drains_sweeps_every_minute() -> None:
    schedule = Schedule.objects.get(func="sweeps.tasks.drain_sweeps")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)
