"""Highlights: storage, validation, ownership, and a real tiny run with and without them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from drawing import refs
from drawing import services as drawing_services
from drawing.models import Highlight
from experiments.models import Experiment
from tests.factories import TINY_MLP

pytestmark = pytest.mark.django_db

URL = "/api/v1/highlights/"
EMPTY = [[0] * 28 for _ in range(28)]


def region(rows: slice, cols: slice) -> list[list[int]]:
    mask = np.zeros((28, 28), dtype=int)
    mask[rows, cols] = 1
    return mask.tolist()


def drawn_house(user: Any) -> str:
    grid = np.zeros((28, 28))
    grid[14:24, 8:20] = 1.0
    grid[8:14, 11:17] = 1.0
    return refs.drawn_ref(
        drawing_services.drawn_class_save(user=user, name="House", pixels=grid.tolist())
    )


# A spurious marker: the top-left corner, outside both the box and the house.
RED = region(slice(0, 5), slice(0, 5))
YELLOW = region(slice(7, 21), slice(7, 21))


def test_a_highlight_is_stored_listed_changed_and_deleted(alice: Any, alice_api: Any) -> None:
    response = alice_api.post(
        URL, {"class": "box", "relevant": YELLOW, "irrelevant": RED}, format="json"
    )
    assert response.status_code == 201, response.json()
    highlight = Highlight.objects.get(pk=response.json()["id"])
    assert highlight.owner == alice and highlight.class_ref == "box"
    assert highlight.shape_class is None
    assert highlight.relevant == YELLOW and highlight.irrelevant == RED

    assert [item["class"] for item in alice_api.get(URL).json()] == ["box"]
    assert alice_api.get(f"{URL}{highlight.pk}/").json()["irrelevant"] == RED

    # Values above 0.5 count as painted; they are stored as 1s.
    halfway = (np.asarray(RED) * 0.7).tolist()
    response = alice_api.put(
        f"{URL}{highlight.pk}/", {"relevant": EMPTY, "irrelevant": halfway}, format="json"
    )
    assert response.status_code == 200, response.json()
    highlight.refresh_from_db()
    assert highlight.relevant == EMPTY and highlight.irrelevant == RED

    assert alice_api.delete(f"{URL}{highlight.pk}/").status_code == 204
    assert not Highlight.objects.exists()


def test_a_drawn_class_can_be_highlighted_and_takes_its_highlight_along(
    alice: Any, alice_api: Any
) -> None:
    ref = drawn_house(alice)
    response = alice_api.post(
        URL, {"class": ref, "relevant": EMPTY, "irrelevant": RED}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Highlight.objects.get().shape_class_id == refs.drawn_id(ref)
    alice_api.delete(f"/api/v1/classes/{refs.drawn_id(ref)}/")
    assert not Highlight.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"relevant": EMPTY[:20]}, "relevant", "not 20 rows"),
        ({"irrelevant": [row[:10] for row in RED]}, "irrelevant", "must hold 28"),
        ({"irrelevant": [[2] * 28] * 28}, "irrelevant", "must lie in [0, 1]"),
        ({"irrelevant": [[-1] * 28] * 28}, "irrelevant", "must lie in [0, 1]"),
        ({"relevant": "yellow"}, "relevant", "send 28 rows"),
        ({"irrelevant": EMPTY}, "non_field_errors", "both masks are empty"),
        ({"relevant": RED}, "irrelevant", "both yellow and red"),
        ({"class": "noise"}, "class", "cannot be highlighted"),
        ({"class": "nothing"}, "class", "no class 'nothing'"),
        ({"class": "drawn:12345"}, "class", "no class 'drawn:12345'"),
        ({"class": None}, "class", "name the class"),
    ],
)
def test_bad_highlights_get_a_400_naming_the_problem(
    alice_api: Any, change: dict[str, Any], field: str, words: str
) -> None:
    payload = {"class": "box", "relevant": EMPTY, "irrelevant": RED, **change}
    response = alice_api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])
    assert not Highlight.objects.exists()


def test_a_nan_mask_is_refused(alice: Any) -> None:
    mask: list[list[Any]] = [row[:] for row in RED]
    mask[2][2] = float("nan")
    with pytest.raises(drawing_services.ValidationError) as caught:
        drawing_services.highlight_save(user=alice, ref="box", relevant=EMPTY, irrelevant=mask)
    assert "not a finite number" in caught.value.message_dict["irrelevant"][0]
    assert not Highlight.objects.exists()


def test_a_second_highlight_of_the_same_class_is_a_400(alice_api: Any) -> None:
    payload = {"class": "box", "relevant": EMPTY, "irrelevant": RED}
    assert alice_api.post(URL, payload, format="json").status_code == 201
    response = alice_api.post(URL, {**payload, "irrelevant": YELLOW}, format="json")
    assert response.status_code == 400
    assert "already has a highlight" in response.json()["class"][0]
    assert Highlight.objects.get().irrelevant == RED


def test_a_mask_for_another_users_class_is_a_400_and_theirs_are_404(
    alice: Any, bob: Any, bob_api: Any
) -> None:
    ref = drawn_house(alice)
    response = bob_api.post(
        URL, {"class": ref, "relevant": EMPTY, "irrelevant": RED}, format="json"
    )
    assert response.status_code == 400
    assert f"you have no class {ref!r}" in response.json()["class"][0]
    highlight = drawing_services.highlight_save(
        user=alice, ref="box", relevant=EMPTY, irrelevant=RED
    )
    url = f"{URL}{highlight.pk}/"
    assert bob_api.get(URL).json() == []
    assert bob_api.get(url).status_code == 404
    assert bob_api.put(url, {"relevant": YELLOW, "irrelevant": EMPTY}).status_code == 404
    assert bob_api.delete(url).status_code == 404
    highlight.refresh_from_db()
    assert highlight.irrelevant == RED
    # Bob's own highlight of the same catalogue class is his, beside alice's.
    response = bob_api.post(
        URL, {"class": "box", "relevant": YELLOW, "irrelevant": EMPTY}, format="json"
    )
    assert response.status_code == 201
    assert Highlight.objects.filter(class_ref="box").count() == 2


def test_a_highlight_keeps_its_class(alice_api: Any) -> None:
    payload = {"class": "box", "relevant": EMPTY, "irrelevant": RED}
    pk = alice_api.post(URL, payload, format="json").json()["id"]
    response = alice_api.put(f"{URL}{pk}/", {**payload, "class": "line"}, format="json")
    assert response.status_code == 400 and "stays with its class" in response.json()["class"][0]


def test_highlighting_needs_a_highlighted_class(alice: Any, alice_api: Any) -> None:
    config = {"classes": ["box", "line"], "epochs": 3, "highlight": "rrr"}
    response = alice_api.post("/api/v1/experiments/", config, format="json")
    assert response.status_code == 400
    assert "none of the selected classes has a highlight" in response.json()["highlight"][0]
    # A yellow region counts only when everything outside it is marked too.
    drawing_services.highlight_save(user=alice, ref="box", relevant=YELLOW, irrelevant=EMPTY)
    assert alice_api.post("/api/v1/experiments/", config, format="json").status_code == 400
    outside = {**config, "highlight_outside_relevant": True}
    assert alice_api.post("/api/v1/experiments/", outside, format="json").status_code == 201
    assert Experiment.objects.count() == 1


# More training than TINY_MLP: the highlight penalty must leave its mark on the figures.
HIGHLIGHT_RUN = {**TINY_MLP, "epochs": 4, "seed": 11, "max_steps": 20, "copies": 4}


def test_a_highlighted_run_with_a_drawn_class_stores_its_effects_and_its_twin(
    alice: Any, alice_api: Any, bob_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    house = drawn_house(alice)
    drawing_services.highlight_save(user=alice, ref=house, relevant=EMPTY, irrelevant=RED)
    config = {**HIGHLIGHT_RUN, "classes": ["box", house, "line"], "highlight": "rrr"}
    config["highlight_lambda"] = 5.0
    # The queue is synchronous in tests: the task runs when the creating transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post("/api/v1/experiments/", config, format="json")
    assert response.status_code == 201, response.json()
    experiment = Experiment.objects.get(pk=response.json()["id"])
    assert experiment.status == Experiment.Status.DONE, experiment.error
    assert experiment.config["highlight"] == "rrr"
    assert experiment.config["highlight_lambda"] == 5.0
    results = list(experiment.results.order_by("position"))
    assert [r.class_key for r in results] == ["box", house, "line"]
    assert results[1].name == "House"
    # The drawn class's template for |r| is its drawing.
    assert results[1].r is None or 0.0 <= results[1].r <= 1.0
    [effect] = experiment.highlight_effects
    assert effect["key"] == house
    assert effect["area_share"] == pytest.approx(25 / 784)
    for share in ("energy_share", "saliency_share"):
        assert effect[share] is not None and 0.0 <= effect[share] <= 1.0

    detail = alice_api.get(f"/api/v1/experiments/{experiment.pk}/").json()
    assert detail["highlight_effects"] == experiment.highlight_effects
    assert detail["highlight_baseline"] is None

    url = f"/api/v1/experiments/{experiment.pk}/highlight-baseline/"
    assert bob_api.post(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(url)
    assert response.status_code == 201, response.json()
    experiment.refresh_from_db()
    baseline = experiment.highlight_baseline
    assert baseline is not None and baseline.pk == response.json()["id"]
    assert baseline.status == Experiment.Status.DONE, baseline.error
    assert baseline.source_id == experiment.pk
    assert baseline.seed == experiment.seed
    assert baseline.config == {**experiment.config, "highlight": "none"}
    assert baseline.trained_on == experiment.trained_on
    [plain] = baseline.highlight_effects
    assert plain["key"] == house and plain["area_share"] == effect["area_share"]
    # Training differs only by the penalty, so the two runs' figures differ.
    assert (plain["saliency_share"], plain["energy_share"]) != (
        effect["saliency_share"],
        effect["energy_share"],
    )
    # Asking again gives the same twin; a run without highlighting has nothing to compare.
    again = alice_api.post(url)
    assert again.status_code == 200 and again.json()["id"] == baseline.pk
    response = alice_api.post(f"/api/v1/experiments/{baseline.pk}/highlight-baseline/")
    assert response.status_code == 400 and "without highlighting" in response.json()["highlight"][0]
    assert Experiment.objects.count() == 2


def test_staff_see_highlights_with_their_masks(alice: Any, django_user_model: Any) -> None:
    from django.test import Client

    drawing_services.highlight_save(user=alice, ref="box", relevant=YELLOW, irrelevant=RED)
    staff = django_user_model.objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/drawing/highlight/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "box" in html and "data:image/png;base64," in html
    assert client.get("/admin/drawing/highlight/?q=alice").status_code == 200
