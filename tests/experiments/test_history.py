"""The history: its selector and filters, the page, the history API, tags and notes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from drawing import services as drawing_services
from experiments import lifecycle
from experiments import services as experiment_services
from experiments.filters import ExperimentFilterSet
from experiments.models import Experiment
from experiments.selectors import experiment_list
from history import selectors as history_selectors
from history import services as history_services
from history import views as history_views
from history.scenarios import SCENARIOS
from tests.factories import finished_run, queued_run, trained_run

pytestmark = pytest.mark.django_db

# A drawn class: a filled square in the middle of the 28 x 28 grid.
HOUSE = [[1.0 if 8 <= x < 20 and 8 <= y < 20 else 0.0 for x in range(28)] for y in range(28)]


@pytest.fixture
def history(alice: Any, bob: Any) -> dict[str, Experiment]:
    """Five of alice's runs across models, classes, tags, statuses and days; one of bob's."""
    runs = {
        "lines": finished_run(
            alice,
            seed=1,
            classes=["line", "line_horizontal"],
            tags=["paper", "lines"],
            created_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
        ),
        "circles": finished_run(
            alice,
            seed=2,
            classes=["line", "line_horizontal", "circle"],
            tags=["paper"],
            created_at=datetime(2026, 3, 5, 12, tzinfo=UTC),
        ),
        "cnn": finished_run(
            alice,
            seed=3,
            model="cnn",
            classes=["box", "box_hollow"],
            created_at=datetime(2026, 3, 9, 12, tzinfo=UTC),
        ),
        "hollow": finished_run(
            alice,
            seed=4,
            classes=["box_hollow", "tri"],
            tags=["lines-extra"],
            created_at=datetime(2026, 3, 12, 12, tzinfo=UTC),
        ),
    }
    failed = Experiment.objects.create(
        owner=alice,
        number=5,
        config={"classes": ["box", "tri"], "model": "mlp"},
        model_name="mlp",
        class_keys=["box", "tri"],
        seed=5,
        status="failed",
        error="The loss became NaN.",
    )
    runs["failed"] = failed
    runs["bobs"] = finished_run(bob, seed=1, classes=["line", "box"], tags=["paper"])
    return runs


def numbers(experiments: Any) -> list[int]:
    return [experiment.number for experiment in experiments]


def history_rows(user: Any, query: dict[str, str]) -> list[int]:
    """The numbers of the user's experiments that the history's filters keep, in order."""
    filters = ExperimentFilterSet(QueryDict(urlencode(query)), queryset=experiment_list(user=user))
    assert filters.is_valid(), filters.errors
    return numbers(filters.qs)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [5, 4, 3, 2, 1]),
        ({"order": "oldest"}, [1, 2, 3, 4, 5]),
        ({"order": "newest"}, [5, 4, 3, 2, 1]),
        ({"model": "cnn"}, [3]),
        ({"class": "box"}, [5, 3]),
        ({"class": "box_hollow"}, [4, 3]),
        ({"class": "line"}, [2, 1]),
        ({"class": "lin"}, []),
        ({"tag": "paper"}, [2, 1]),
        ({"tag": "Paper"}, [2, 1]),
        ({"tag": "lines"}, [1]),
        ({"status": "failed"}, [5]),
        ({"created_after": "2026-03-05", "created_before": "2026-03-09"}, [3, 2]),
        ({"from": "2026-03-05", "to": "2026-03-09"}, [3, 2]),
        ({"model": "mlp", "class": "line", "tag": "paper"}, [2, 1]),
        ({"model": "", "class": "", "tag": "", "status": "", "order": ""}, [5, 4, 3, 2, 1]),
    ],
)
def test_history_filters(
    alice: Any, history: dict[str, Experiment], query: dict[str, str], expected: list[int]
) -> None:
    assert history_rows(alice, query) == expected


def test_bob_never_sees_alices_experiments(bob: Any, history: dict[str, Experiment]) -> None:
    assert history_rows(bob, {}) == [1]
    assert history_selectors.history_facets(user=bob) == {
        "models": ["mlp"],
        "classes": ["box", "line"],
        "tags": ["paper"],
        "class_names": {"box": "Box", "line": "Vertical line"},
    }


def test_facets_list_every_model_class_and_tag(alice: Any, history: dict[str, Experiment]) -> None:
    facets = history_selectors.history_facets(user=alice)
    assert facets["models"] == ["cnn", "mlp"]
    assert facets["tags"] == ["lines", "lines-extra", "paper"]
    assert "box_hollow" in facets["classes"] and "tri" in facets["classes"]


def test_the_class_filter_names_each_class_as_a_person_knows_it(
    alice: Any, alice_client: Any, history: dict[str, Experiment]
) -> None:
    house = drawing_services.drawn_class_save(user=alice, name="House", pixels=HOUSE)
    hut = drawing_services.drawn_class_save(user=alice, name="Hut", pixels=HOUSE)
    drawn = finished_run(alice, seed=6, classes=["noise_blur", f"drawn:{house.pk}"])
    # A run that never finished keeps only its own copy of the class, with its name.
    queued_run(alice, classes=["box", f"drawn:{hut.pk}"])
    # Renamed since: the filter says the name the runs were trained with.
    drawing_services.drawn_class_save(user=alice, name="Cottage", pixels=HOUSE, shape_class=house)
    names = history_selectors.history_facets(user=alice)["class_names"]
    assert names[f"drawn:{house.pk}"] == "House (yours)"
    assert names[f"drawn:{hut.pk}"] == "Hut (yours)"
    assert names["noise_blur"] == "Blurred noise" and names["line"] == "Vertical line"

    html = alice_client.get("/history/").content.decode()
    assert f'<option value="drawn:{house.pk}">House (yours)</option>' in html
    assert '<option value="noise_blur">Blurred noise</option>' in html
    assert ">drawn:" not in html and ">noise_blur<" not in html
    response = alice_client.get("/history/", {"class": f"drawn:{house.pk}"})
    assert [row.experiment.pk for row in response.context["rows"]] == [drawn.pk]
    assert f'<option value="drawn:{house.pk}" selected>House (yours)</option>' in (
        response.content.decode()
    )


def test_two_drawn_classes_of_one_name_are_told_apart_by_their_keys(alice: Any) -> None:
    first = drawing_services.drawn_class_save(user=alice, name="House", pixels=HOUSE)
    finished_run(alice, seed=6, classes=["box", f"drawn:{first.pk}"])
    drawing_services.drawn_class_save(user=alice, name="Hut", pixels=HOUSE, shape_class=first)
    second = drawing_services.drawn_class_save(user=alice, name="House", pixels=HOUSE)
    finished_run(alice, seed=7, classes=["box", f"drawn:{second.pk}"])
    names = history_selectors.history_facets(user=alice)["class_names"]
    assert names[f"drawn:{first.pk}"] == f"House (yours) [drawn:{first.pk}]"
    assert names[f"drawn:{second.pk}"] == f"House (yours) [drawn:{second.pk}]"


# --- the page ---------------------------------------------------------------------------


def test_the_history_page_needs_a_login(client: Any) -> None:
    response = client.get("/history/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_history_page_shows_own_rows_newest_first(
    alice_client: Any, history: dict[str, Experiment]
) -> None:
    response = alice_client.get("/history/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.experiment.number for row in rows] == [5, 4, 3, 2, 1]
    html = response.content.decode()
    assert f'id="experiment-{history["bobs"].pk}"' not in html
    assert "The loss became NaN." in html
    # The rows' titles are drawn by the page script from the data the page hands it.
    titles = {t["number"]: t for t in response.context["history_settings"]["titles"]}
    assert sorted(titles) == [1, 2, 3, 4, 5]
    assert titles[3]["id"] == rows[2].experiment.pk and titles[3]["config"]["model"] == "cnn"
    assert html.count('class="card"') == 2 + 3 + 2 + 2
    assert 'href="/history/"' in html  # the header links to the page


def row_html(html: str, experiment: Experiment) -> str:
    """The part of the page that is ``experiment``'s row."""
    start = html.index(f'<li class="result-row history-row" id="experiment-{experiment.pk}"')
    return html[start : html.index("\n      </li>", start)]


def test_a_finished_row_shows_accuracy_loss_and_each_class_reaching_its_threshold(
    alice: Any, alice_client: Any
) -> None:
    run = finished_run(alice, seed=1, classes=["box", "line"], max_steps=40)
    html = row_html(alice_client.get("/history/").content.decode(), run)
    assert f"accuracy <strong>{history_views.percent(run.accuracy)}</strong>" in html
    assert f"loss <strong>{history_views.loss_text(run.loss)}</strong>" in html
    for result in run.results.all():
        if result.reached:
            steps = "1 step" if result.steps == 1 else f"{result.steps} steps"
            said = f"\u2713 reached p &gt; 0.99 in {steps}"
        else:
            p = f"{result.probability:.2f}"
            said = f"\u2717 not reached within the cap of 40 steps (p = {p})"
        assert said in html


@pytest.mark.parametrize(
    ("value", "percent", "loss"),
    [
        (0.8125, "81.3%", "0.8125"),  # a tie rounds up, as JavaScript's toFixed does
        (0.5, "50.0%", "0.5000"),
        (1.0, "100.0%", "1.0000"),
        (0.00012, "0.0%", "1.2e-4"),
        (0.0, "0.0%", "0.0000"),
        (None, "\u2013", "\u2013"),
    ],
)
def test_figures_are_written_as_the_page_scripts_write_them(
    value: float | None, percent: str, loss: str
) -> None:
    assert history_views.percent(value) == percent
    assert history_views.loss_text(value) == loss


def test_a_count_of_one_takes_the_singular() -> None:
    assert history_views.count_of(1, "step") == "1 step"
    assert history_views.count_of(12, "step") == "12 steps"


def test_a_follow_up_row_names_its_source_by_the_users_number(
    alice: Any, alice_client: Any
) -> None:
    source = trained_run(alice)
    rerun = experiment_services.experiment_rerun(user=alice, source=source, seed=9)
    again = experiment_services.experiment_revisualize(
        user=alice, source=source, changes={"step_size": 0.01}
    )
    html = alice_client.get("/history/").content.decode()
    assert f"a re-run of [{source.number}]" in row_html(html, rerun)
    assert f"new images from the weights of [{source.number}]" in row_html(html, again)
    assert "re-run" not in row_html(html, source)


def test_a_running_row_has_a_progress_bar_and_a_cancel_button(
    alice: Any, alice_client: Any
) -> None:
    run = queued_run(alice)
    assert lifecycle.experiment_start(experiment_id=run.pk)
    lifecycle.experiment_progress(
        experiment_id=run.pk, progress={"phase": "train", "fraction": 0.245}
    )
    response = alice_client.get("/history/")
    html = row_html(response.content.decode(), run)
    assert 'role="progressbar"' in html and 'aria-valuenow="25"' in html
    assert f'aria-label="Cancel experiment {run.number}">Cancel</button>' in html
    assert "Reload" not in html
    # The page script follows it from where it stands.
    [active] = response.context["history_settings"]["active"]
    assert active["id"] == run.pk and active["status"] == "running"
    assert active["progress"]["fraction"] == 0.245


def test_a_cancelled_row_says_so_in_the_builders_words(alice: Any, alice_client: Any) -> None:
    run = queued_run(alice)
    experiment_services.experiment_cancel(user=alice, experiment=run)
    html = row_html(alice_client.get("/history/").content.decode(), run)
    assert '<span class="status-badge status-cancelled" data-live="badge">Cancelled</span>' in html
    assert '<p class="result-error is-cancelled">Cancelled before it finished.</p>' in html
    assert 'role="progressbar"' not in html


def test_the_history_page_filters_from_the_query_string(
    alice_client: Any, history: dict[str, Experiment]
) -> None:
    response = alice_client.get("/history/", {"class": "line", "order": "oldest"})
    assert [row.experiment.number for row in response.context["rows"]] == [1, 2]
    response = alice_client.get("/history/", {"tag": "paper", "model": "mlp"})
    assert [row.experiment.number for row in response.context["rows"]] == [2, 1]


def test_a_bad_date_range_is_said_beside_the_field(
    alice_client: Any, history: dict[str, Experiment]
) -> None:
    query = {"created_after": "2026-03-09", "created_before": "2026-03-01"}
    response = alice_client.get("/history/", query)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "created_before": ["The end date comes before the start date."]
    }
    assert '<p class="field-error">The end date comes before the start date.</p>' in (
        response.content.decode()
    )
    # The rows the other filters keep are listed, but no count claims they match the range.
    assert 'class="hint history-count"' not in response.content.decode()
    assert "matching)" not in response.content.decode()
    assert response.context["rows"]
    response = alice_client.get("/history/", {"created_after": "not-a-date", "model": "cnn"})
    assert response.status_code == 200 and "Enter a valid date." in response.content.decode()
    # The valid filters still apply.
    assert [row.experiment.number for row in response.context["rows"]] == [3]
    assert "matching)" not in response.content.decode()
    # A valid range is counted.
    query = {"created_after": "2026-03-01", "created_before": "2026-03-09"}
    html = alice_client.get("/history/", query).content.decode()
    assert '<span class="hint history-count">(3 matching)</span>' in html


def test_old_links_with_from_and_to_show_the_same_filters_under_their_names(
    alice_client: Any, history: dict[str, Experiment]
) -> None:
    response = alice_client.get("/history/", {"from": "2026-03-05", "to": "2026-03-09", "page": 1})
    assert response.status_code == 302
    assert response["Location"] == (
        "/history/?page=1&created_after=2026-03-05&created_before=2026-03-09"
    )
    response = alice_client.get(response["Location"])
    assert [row.experiment.number for row in response.context["rows"]] == [3, 2]
    assert 'name="created_after" value="2026-03-05"' in response.content.decode()


def test_the_history_page_is_paginated_in_a_fixed_number_of_queries(
    alice: Any, alice_client: Any
) -> None:
    for number in range(1, 46):
        finished_run(alice, seed=number, classes=["box", "line", "tri"])
    with CaptureQueriesContext(connection) as first:
        response = alice_client.get("/history/")
    assert [row.experiment.number for row in response.context["rows"]] == list(range(45, 25, -1))
    with CaptureQueriesContext(connection) as last:
        response = alice_client.get("/history/", {"page": 3})
    assert [row.experiment.number for row in response.context["rows"]] == list(range(5, 0, -1))
    assert "Page 3 of 3" in response.content.decode()
    # Session, user, count, page, results, facets, saved comparisons: never one per row.
    assert len(first) == len(last) <= 8, [q["sql"] for q in first.captured_queries]


def test_saved_comparisons_and_scenarios_are_on_the_page(
    alice: Any, alice_client: Any, history: dict[str, Experiment]
) -> None:
    saved = history_services.saved_comparison_create(
        user=alice,
        name="Lines and circles",
        experiment_ids=[history["lines"].pk, history["circles"].pk],
    )
    html = alice_client.get("/history/").content.decode()
    ids = f"{history['lines'].pk},{history['circles'].pk}"
    assert f'href="/compare/?ids={ids}&amp;all=0&amp;base={history["lines"].pk}"' in html
    assert f'data-id="{saved.pk}"' in html and "Lines and circles" in html
    assert 'data-scenario="diversity"' in html and 'data-scenario="architectures"' in html


# --- the compare page --------------------------------------------------------------------


def test_the_compare_page_checks_ownership_and_ids(
    alice_client: Any, history: dict[str, Experiment]
) -> None:
    own = f"{history['lines'].pk},{history['cnn'].pk}"
    assert alice_client.get("/compare/", {"ids": own}).status_code == 200
    mixed = f"{history['lines'].pk},{history['bobs'].pk}"
    assert alice_client.get("/compare/", {"ids": mixed}).status_code == 404
    response = alice_client.get("/compare/", {"ids": "1"})
    assert response.status_code == 400 and "Compare from 2" in response.content.decode()


def test_a_scenarios_compare_page_says_which_question_it_answers(
    alice_client: Any, history: dict[str, Experiment]
) -> None:
    ids = f"{history['lines'].pk},{history['circles'].pk}"
    question = SCENARIOS["diversity"].description
    html = alice_client.get("/compare/", {"ids": ids, "scenario": "diversity"}).content.decode()
    assert 'id="compare-question"' in html and escape(question) in html
    assert escape(SCENARIOS["diversity"].title) in html
    for query in ({"ids": ids}, {"ids": ids, "scenario": "nothing"}):
        html = alice_client.get("/compare/", query).content.decode()
        assert 'id="compare-question"' not in html and escape(question) not in html


# --- the history API ------------------------------------------------------------------------


def test_the_history_api_filters_and_lists_facets(
    alice_api: Any, history: dict[str, Experiment]
) -> None:
    response = alice_api.get("/api/v1/history/", {"class": "box", "page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and len(body["results"]) == 1
    assert body["results"][0]["number"] == 5
    assert body["facets"]["tags"] == ["lines", "lines-extra", "paper"]
    tagged = alice_api.get("/api/v1/history/", {"tag": "lines"}).json()["results"]
    assert [(row["number"], row["tags"]) for row in tagged] == [(1, ["paper", "lines"])]


def test_the_history_api_refuses_bad_filters(alice_api: Any) -> None:
    response = alice_api.get("/api/v1/history/", {"status": "sleeping", "from": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "from"}
    query = {"created_after": "2026-03-09", "created_before": "2026-03-01", "order": "up"}
    response = alice_api.get("/api/v1/history/", query)
    assert response.status_code == 400
    assert set(response.json()) == {"created_before", "order"}


def test_the_history_api_takes_the_lists_filters_and_its_old_date_names(
    alice_api: Any, history: dict[str, Experiment]
) -> None:
    def rows(query: dict[str, str]) -> list[int]:
        response = alice_api.get("/api/v1/history/", query)
        assert response.status_code == 200, response.json()
        return [row["number"] for row in response.json()["results"]]

    dates = {"created_after": "2026-03-05", "created_before": "2026-03-09"}
    assert rows(dates) == [3, 2]
    assert rows({"from": "2026-03-05", "to": "2026-03-09", "order": "oldest"}) == [2, 3]
    assert rows({"kind": "revisualize"}) == []


def test_the_history_api_is_bobs_own(bob_api: Any, history: dict[str, Experiment]) -> None:
    body = bob_api.get("/api/v1/history/").json()
    assert [row["id"] for row in body["results"]] == [history["bobs"].pk]


# --- tags and notes ---------------------------------------------------------------------------


def test_tags_and_note_are_stored(alice_api: Any, history: dict[str, Experiment]) -> None:
    experiment = history["cnn"]
    response = alice_api.patch(
        f"/api/v1/experiments/{experiment.pk}/annotations/",
        {"tags": [" Baseline ", "cnn", "baseline"], "note": "  Best so far.  "},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "id": experiment.pk,
        "tags": ["baseline", "cnn"],
        "note": "Best so far.",
    }
    experiment.refresh_from_db()
    assert experiment.tags == ["baseline", "cnn"] and experiment.note == "Best so far."
    # One field at a time leaves the other as it is.
    alice_api.patch(
        f"/api/v1/experiments/{experiment.pk}/annotations/", {"note": ""}, format="json"
    )
    experiment.refresh_from_db()
    assert experiment.tags == ["baseline", "cnn"] and experiment.note == ""
    # null, like a field left out, keeps what is stored.
    response = alice_api.patch(
        f"/api/v1/experiments/{experiment.pk}/annotations/",
        {"tags": None, "note": "Kept tags."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    experiment.refresh_from_db()
    assert experiment.tags == ["baseline", "cnn"] and experiment.note == "Kept tags."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tags": "one,two"}, "tags"),
        ({"tags": ["has space"]}, "tags"),
        ({"tags": ["x" * 33]}, "tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"tags": ['quo"te']}, "tags"),
        ({"note": 5}, "note"),
        ({"note": "x" * 5001}, "note"),
    ],
)
def test_bad_tags_or_notes_are_a_400_naming_the_field(
    alice_api: Any, history: dict[str, Experiment], body: dict[str, Any], field: str
) -> None:
    experiment = history["lines"]
    response = alice_api.patch(
        f"/api/v1/experiments/{experiment.pk}/annotations/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    experiment.refresh_from_db()
    assert experiment.tags == ["paper", "lines"] and experiment.note == ""


def test_bob_cannot_annotate_alices_experiment(
    bob_api: Any, history: dict[str, Experiment]
) -> None:
    experiment = history["lines"]
    response = bob_api.patch(
        f"/api/v1/experiments/{experiment.pk}/annotations/", {"note": "mine"}, format="json"
    )
    assert response.status_code == 404
    experiment.refresh_from_db()
    assert experiment.note == ""


def test_staff_find_saved_comparisons_in_the_admin(
    alice: Any, django_user_model: Any, history: dict[str, Experiment]
) -> None:
    from django.test import Client

    history_services.saved_comparison_create(
        user=alice, name="Lines vs CNN", experiment_ids=[history["lines"].pk, history["cnn"].pk]
    )
    staff = django_user_model.objects.create_user("staff", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/history/savedcomparison/", {"q": "alice"})
    assert response.status_code == 200
    assert "Lines vs CNN" in response.content.decode()
