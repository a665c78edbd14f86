"""The admin console: staff only, every table listed, images shown inline."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from drawing.models import ShapeClass
from experiments import services, tasks
from experiments.models import Experiment

pytestmark = pytest.mark.django_db


@pytest.fixture
def done_experiment(alice: Any) -> Experiment:
    config = {"classes": ["box", "line"], "epochs": 2, "seed": 1, "max_steps": 5}
    experiment = services.experiment_create(user=alice, config=config)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    return experiment


@pytest.mark.parametrize(
    "url",
    [
        "/admin/experiments/experiment/",
        "/admin/experiments/classresult/",
        "/admin/drawing/shapeclass/",
        "/admin/django_q/schedule/",
        "/admin/django_q/success/",
        "/admin/django_q/failure/",
    ],
)
def test_every_table_is_listed_for_staff(staff_client: Client, url: str) -> None:
    assert staff_client.get(url).status_code == 200


def test_non_staff_users_are_sent_to_the_admin_login(alice_client: Client) -> None:
    response = alice_client.get("/admin/experiments/experiment/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_experiments_show_their_generated_images(
    staff_client: Client, done_experiment: Experiment
) -> None:
    listing = staff_client.get("/admin/experiments/experiment/").content.decode()
    assert listing.count("data:image/png;base64,") == 2
    assert "alice" in listing and "box, line" in listing
    page = staff_client.get(f"/admin/experiments/experiment/{done_experiment.pk}/change/")
    # One generated image and one original per class in the inline.
    assert page.content.decode().count("data:image/png;base64,") == 4


def test_the_list_can_be_filtered_and_searched(
    staff_client: Client, done_experiment: Experiment, bob: Any
) -> None:
    services.experiment_create(user=bob, config={"classes": ["box", "tri"], "seed": 1})
    queued = staff_client.get("/admin/experiments/experiment/", {"status__exact": "queued"})
    assert "bob" in queued.content.decode() and "box, line" not in queued.content.decode()
    found = staff_client.get("/admin/experiments/experiment/", {"q": "alice"})
    assert "box, line" in found.content.decode() and "box, tri" not in found.content.decode()


def test_the_cancel_action_cancels_active_experiments(staff_client: Client, bob: Any) -> None:
    queued = services.experiment_create(user=bob, config={"classes": ["box", "tri"], "seed": 1})
    response = staff_client.post(
        "/admin/experiments/experiment/",
        {"action": "cancel_selected", "_selected_action": [queued.pk]},
        follow=True,
    )
    assert "Cancelled 1 experiments." in response.content.decode()
    queued.refresh_from_db()
    assert queued.status == "cancelled"


def test_drawn_classes_show_a_preview(staff_client: Client, alice: Any) -> None:
    pixels = [[1.0 if 10 <= c <= 17 else 0.0 for c in range(28)] for _ in range(28)]
    ShapeClass.objects.create(owner=alice, key="bar", name="Bar", pixels=pixels)
    listing = staff_client.get("/admin/drawing/shapeclass/").content.decode()
    assert "Bar" in listing and "data:image/png;base64," in listing


def test_results_are_a_record_staff_annotate_but_do_not_edit(
    staff_client: Client, done_experiment: Experiment
) -> None:
    done_experiment.refresh_from_db()
    assert done_experiment.weights.name and done_experiment.accuracy is not None
    url = f"/admin/experiments/experiment/{done_experiment.pk}/change/"
    page = staff_client.get(url).content.decode()
    assert 'name="note"' in page and 'name="tags"' in page
    assert 'name="accuracy"' not in page and 'name="config"' not in page
    assert 'name="weights"' not in page  # no upload: only weights the platform wrote load
    assert done_experiment.weights.name in page and "/media/" not in page
    accuracy = done_experiment.accuracy
    # Submitted as a browser would: the page's hidden fields, the two editable ones, and a
    # forged accuracy that must be ignored.
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    edits = {"tags": '["checked"]', "note": "Looked fine.", "accuracy": "0.1", "_save": "Save"}
    response = staff_client.post(url, {**hidden, **edits})
    assert response.status_code == 302
    done_experiment.refresh_from_db()
    assert done_experiment.note == "Looked fine." and done_experiment.tags == ["checked"]
    assert done_experiment.accuracy == accuracy
    # Experiments come from the builder or the API (validated, queued); results from a worker.
    assert staff_client.get("/admin/experiments/experiment/add/").status_code == 403
    assert staff_client.get("/admin/experiments/classresult/add/").status_code == 403
    result = done_experiment.results.first()
    assert result is not None
    view = staff_client.get(f"/admin/experiments/classresult/{result.pk}/change/")
    assert view.status_code == 200 and 'name="r"' not in view.content.decode()


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("5", "Send the tags as a list of words."),
        ("[1, 2]", "Send the tags as a list of words."),
        ("null", "Send the tags as a list of words."),
        ('["Has Space"]', "is not a tag"),
    ],
)
def test_staff_cannot_store_tags_the_owner_pages_cannot_show(
    staff_client: Client,
    alice_client: Client,
    done_experiment: Experiment,
    tags: str,
    message: str,
) -> None:
    url = f"/admin/experiments/experiment/{done_experiment.pk}/change/"
    page = staff_client.get(url).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    response = staff_client.post(url, {**hidden, "tags": tags, "note": "", "_save": "Save"})
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    done_experiment.refresh_from_db()
    assert done_experiment.tags == []
    # The owner's pages still answer.
    assert alice_client.get("/history/").status_code == 200
    assert alice_client.get("/api/v1/history/").status_code == 200
    assert alice_client.get("/api/v1/experiments/export/csv/").status_code == 200
