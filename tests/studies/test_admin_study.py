"""The staff console's study pages: tasks one per line, allowed models as checkboxes, new
conditions that allow nothing extra until staff tick it, and the join link in the list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from models_zoo.architectures import ARCHITECTURES
from studies.models import Condition, Study

pytestmark = pytest.mark.django_db

ADD = "/admin/studies/study/add/"


def study_form(*, tasks: str = "", conditions: list[dict[str, Any]] | None = None) -> dict:
    """The add page's form as a browser sends it: unticked checkboxes are left out."""
    conditions = conditions or []
    data: dict[str, Any] = {
        "title": "Highlighting or not",
        "description": "",
        "tasks": tasks,
        "is_open": "on",
        "assignment_seed": "7",
        "conditions-TOTAL_FORMS": str(len(conditions)),
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
        "participants-TOTAL_FORMS": "0",
        "participants-INITIAL_FORMS": "0",
        "participants-MIN_NUM_FORMS": "0",
        "participants-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, condition in enumerate(conditions):
        for key, value in condition.items():
            data[f"conditions-{index}-{key}"] = value
    return data


def test_tasks_are_written_one_a_line_and_stored_as_a_list(staff_client: Client) -> None:
    page = staff_client.get(ADD).content.decode()
    assert re.search(r'<textarea name="tasks"', page)
    response = staff_client.post(
        ADD, study_form(tasks="Train a model on box and line.\r\n\r\n  Compare two runs.  \r\n")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    study = Study.objects.get()
    assert study.tasks == ["Train a model on box and line.", "Compare two runs."]
    # Shown again as lines, not as JSON.
    change = staff_client.get(f"/admin/studies/study/{study.pk}/change/").content.decode()
    assert "Train a model on box and line.\nCompare two runs.</textarea>" in change
    assert '["Train' not in change and "[&quot;Train" not in change


def test_tasks_keep_the_apis_limits(staff_client: Client) -> None:
    too_many = "\n".join(f"Task {n}" for n in range(101))
    response = staff_client.post(ADD, study_form(tasks=too_many))
    assert response.status_code == 200 and "at most 100 tasks" in response.content.decode()
    too_long = staff_client.post(ADD, study_form(tasks="x" * 2001))
    assert too_long.status_code == 200 and "2000 characters" in too_long.content.decode()
    assert not Study.objects.exists()


def test_allowed_models_are_checkboxes_of_the_registered_models(staff_client: Client) -> None:
    page = staff_client.get(ADD).content.decode()
    for name in ARCHITECTURES:
        assert re.search(
            rf'<input type="checkbox" name="conditions-__prefix__-allowed_models" value="{name}"',
            page,
        ), name
    conditions = [
        {"name": "mlp only", "allowed_models": ["mlp"], "highlighting": "on"},
        {"name": "any model"},
    ]
    response = staff_client.post(ADD, study_form(conditions=conditions))
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = {c.name: c for c in Condition.objects.all()}
    assert stored["mlp only"].allowed_models == ["mlp"]
    assert stored["any model"].allowed_models == []  # none ticked: every model
    assert stored["mlp only"].highlighting and not stored["mlp only"].drawing
    unknown = staff_client.post(
        ADD, study_form(conditions=[{"name": "x", "allowed_models": ["gpt"]}])
    )
    assert unknown.status_code == 200 and "gpt is not one of the available choices" in (
        unknown.content.decode()
    )


def test_a_new_condition_allows_neither_highlighting_nor_drawing_until_ticked(
    staff_client: Client,
) -> None:
    page = staff_client.get(ADD).content.decode()
    for field in ("highlighting", "drawing"):
        box = re.search(rf'<input type="checkbox" name="conditions-__prefix__-{field}"[^>]*>', page)
        assert box is not None and "checked" not in box.group(0), field


def test_existing_conditions_show_what_they_allow(staff_client: Client, study: Study) -> None:
    page = staff_client.get(f"/admin/studies/study/{study.pk}/change/").content.decode()
    everything = study.conditions.get(name="everything")
    index = list(study.conditions.order_by("id")).index(everything)
    box = re.search(rf'<input type="checkbox" name="conditions-{index}-highlighting"[^>]*>', page)
    assert box is not None and "checked" in box.group(0)
    mlp = re.search(
        r'<input type="checkbox" name="conditions-0-allowed_models" value="mlp"[^>]*>', page
    )
    assert mlp is not None and "checked" in mlp.group(0)


def test_the_study_list_shows_the_join_link(staff_client: Client, study: Study) -> None:
    page = staff_client.get("/admin/studies/study/").content.decode()
    link = f"/studies/join/?code={study.invite_code}"
    assert f'href="{link}"' in page
    change = staff_client.get(f"/admin/studies/study/{study.pk}/change/").content.decode()
    assert f'href="{link}"' in change
