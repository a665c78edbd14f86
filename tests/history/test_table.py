"""The run table's API and its CSV: columns, rows, sorting, filters, and a CSV that holds
exactly what the table shows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experiments.models import Experiment
from history import table
from tests.factories import finished_run, queued_run

pytestmark = pytest.mark.django_db

URL = "/api/v1/history/table/"
CSV_URL = "/api/v1/history/table/csv/"


@pytest.fixture
def runs(alice: Any, bob: Any) -> dict[str, Experiment]:
    """Four of alice's runs (three finished with chosen |r|, one queued); one of bob's."""
    made = {
        "lines": finished_run(
            alice,
            seed=11,
            classes=["line", "box"],
            rs=[0.8, 0.2],
            tags=["paper"],
            created_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
        ),
        "circle": finished_run(
            alice,
            seed=12,
            model="cnn",
            classes=["line", "box", "circle"],
            rs=[0.3, None, 0.6],
            epochs=3,
            created_at=datetime(2026, 3, 2, 12, tzinfo=UTC),
        ),
        "boxes": finished_run(
            alice,
            seed=13,
            classes=["box", "line"],
            rs=[0.5, 0.1],
            epochs=8,
            tags=["paper", "wide"],
            created_at=datetime(2026, 3, 3, 12, tzinfo=UTC),
        ),
    }
    made["queued"] = queued_run(alice, classes=["box", "tri"], seed=14)
    made["bobs"] = finished_run(bob, seed=15, classes=["box", "line"], tags=["paper"])
    return made


def numbers(body: dict[str, Any]) -> list[int]:
    return [row["number"] for row in body["rows"]]


def test_every_run_is_a_row_with_its_figures(alice_api: Any, runs: dict[str, Experiment]) -> None:
    body = alice_api.get(URL).json()
    assert body["count"] == body["shown"] == 4
    # Newest first, as the history lists them; bob's run is not alice's.
    assert numbers(body) == [4, 3, 2, 1]
    keys = [column["key"] for column in body["columns"]]
    # Every class among the runs has a column of its own, after the mean, by name: Box,
    # Circle, Triangle, Vertical line.
    assert keys[:9] == [
        "number",
        "model",
        "classes",
        "seed",
        "status",
        "accuracy",
        "val_accuracy",
        "test_accuracy",
        "mean_r",
    ]
    assert keys[9:13] == ["r:box", "r:circle", "r:tri", "r:line"]
    assert keys[13:] == ["steps", "duration", "tags", "sweep", "created"]
    labels = {column["key"]: column["label"] for column in body["columns"]}
    assert labels["r:tri"] == "|r| Triangle"
    circle = next(row for row in body["rows"] if row["id"] == runs["circle"].pk)
    stored = runs["circle"]
    assert circle["model"] == "cnn" and circle["seed"] == 12
    assert circle["classes"] == ["line", "box", "circle"]
    assert circle["accuracy"] == pytest.approx(stored.accuracy)
    assert circle["val_accuracy"] == pytest.approx(stored.val_accuracy)
    # The mean of the |r| that are defined: (0.3 + 0.6) / 2, the box's is undefined.
    assert circle["mean_r"] == pytest.approx(0.45)
    assert circle["r"] == {"line": 0.3, "box": None, "circle": 0.6}
    # The slowest class's steps (the factory gives class k 20 + k steps).
    assert circle["steps"] == max(result.steps for result in stored.results.all()) == 22
    expected = (stored.finished_at - stored.started_at).total_seconds()
    assert circle["duration"] == pytest.approx(expected)
    assert circle["sweep"] is None
    queued = body["rows"][0]
    assert queued["status"] == "queued"
    assert queued["accuracy"] is None and queued["mean_r"] is None and queued["steps"] is None
    assert queued["duration"] is None and queued["r"] == {}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("accuracy", [2, 1, 3, 4]),  # 3 epochs, then 5, then 8; the queued run last
        ("-accuracy", [3, 1, 2, 4]),
        ("mean_r", [3, 2, 1, 4]),  # 0.3, 0.45, 0.5
        ("-mean_r", [1, 2, 3, 4]),
        ("r:line", [3, 2, 1, 4]),
        ("-r:circle", [2, 4, 3, 1]),  # one run has it; the rest keep newest first
        ("seed", [1, 2, 3, 4]),
        ("-number", [4, 3, 2, 1]),
        ("model", [2, 4, 3, 1]),  # CNN before MLP; ties newest first
        ("tags", [1, 3, 4, 2]),  # "paper" < "paper wide"; untagged last
        ("-status", [4, 3, 2, 1]),
    ],
)
def test_any_column_sorts_both_ways_with_blanks_last(
    alice_api: Any, runs: dict[str, Experiment], sort: str, expected: list[int]
) -> None:
    body = alice_api.get(URL, {"sort": sort}).json()
    assert numbers(body) == expected
    assert body["sort"] == sort


def test_the_text_filter_and_the_historys_filters_narrow_the_rows(
    alice_api: Any, runs: dict[str, Experiment]
) -> None:
    assert numbers(alice_api.get(URL, {"q": "wide"}).json()) == [3]
    # Class names as well as keys, in any case; every word must match.
    assert numbers(alice_api.get(URL, {"q": "TRIANGLE"}).json()) == [4]
    assert numbers(alice_api.get(URL, {"q": "paper seed 11"}).json()) == [1]
    assert numbers(alice_api.get(URL, {"q": "cnn"}).json()) == [2]
    assert numbers(alice_api.get(URL, {"q": "[3]"}).json()) == [3]
    assert numbers(alice_api.get(URL, {"q": "nothing-like-it"}).json()) == []
    # The history's own filters (the runs' FilterSet) apply before the text filter.
    assert numbers(alice_api.get(URL, {"model": "mlp"}).json()) == [4, 3, 1]
    assert numbers(alice_api.get(URL, {"tag": "paper", "order": "oldest"}).json()) == [1, 3]
    body = alice_api.get(URL, {"class": "circle"}).json()
    assert numbers(body) == [2]
    # The columns follow the rows shown: no column of a class none of them trained.
    assert [c["key"] for c in body["columns"] if c["key"].startswith("r:")] == [
        "r:box",
        "r:circle",
        "r:line",
    ]
    assert numbers(alice_api.get(URL, {"status": "done", "q": "paper"}).json()) == [3, 1]
    # A sort by a class none of them has (kept from before the filter changed) sorts nothing.
    assert numbers(alice_api.get(URL, {"class": "tri", "sort": "-r:circle"}).json()) == [4]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "colour"}, "sort"),
        ({"sort": "-r:"}, "sort"),
        ({"q": "x" * 101}, "q"),
        ({"created_after": "March"}, "created_after"),
        ({"status": "asleep"}, "status"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(
    alice_api: Any, runs: dict[str, Experiment], params: dict[str, str], field: str
) -> None:
    for url in (URL, CSV_URL):
        response = alice_api.get(url, params)
        assert response.status_code == 400
        assert field in response.json()


def test_an_unknown_csv_column_is_a_400_naming_columns(
    alice_api: Any, runs: dict[str, Experiment]
) -> None:
    response = alice_api.get(CSV_URL, {"columns": "number,colour"})
    assert response.status_code == 400
    assert "colour" in response.json()["columns"][0]


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_holds_exactly_the_rows_and_columns_the_table_shows(
    alice_api: Any, runs: dict[str, Experiment]
) -> None:
    params = {"tag": "paper", "q": "mlp", "sort": "-mean_r"}
    shown = alice_api.get(URL, params).json()
    columns = "number,mean_r,r:line,tags,accuracy"
    response = alice_api.get(CSV_URL, {**params, "columns": columns})
    lines = read_csv(response)
    # The table's order of columns, whatever order they were asked in.
    assert list(lines[0]) == ["number", "accuracy", "mean_r", "r:line", "tags"]
    assert [int(line["number"]) for line in lines] == numbers(shown) == [1, 3]
    for line, row in zip(lines, shown["rows"], strict=True):
        assert float(line["accuracy"]) == pytest.approx(row["accuracy"])
        assert float(line["mean_r"]) == pytest.approx(row["mean_r"])
        assert float(line["r:line"]) == pytest.approx(row["r"]["line"])
        assert line["tags"] == " ".join(row["tags"])


def test_the_csv_has_every_column_by_default_and_blanks_for_no_value(
    alice_api: Any, runs: dict[str, Experiment]
) -> None:
    lines = read_csv(alice_api.get(CSV_URL, {"sort": "number"}))
    keys = [column["key"] for column in alice_api.get(URL).json()["columns"]]
    assert list(lines[0]) == keys
    assert [line["number"] for line in lines] == ["1", "2", "3", "4"]
    assert lines[1]["r:box"] == "" and lines[1]["r:circle"] == "0.6"
    assert lines[3]["accuracy"] == "" and lines[3]["status"] == "queued"
    assert lines[1]["classes"] == "line box circle"


def test_a_drawn_class_name_never_becomes_a_formula(alice: Any, alice_api: Any) -> None:
    run = finished_run(alice, classes=["box", "line"], tags=["x"])
    rows = table.run_table(
        user=alice, queryset=Experiment.objects.filter(pk=run.pk), q="", sort=""
    ).rows
    rows[0]["model"] = "=HYPERLINK()"
    text = table.table_csv(
        table.Table(columns=list(table.BASE_COLUMNS), rows=rows, count=1, sort=""),
        list(table.BASE_COLUMNS),
    )
    assert "'=HYPERLINK()" in text


def test_bob_sees_only_his_own_runs(bob_api: Any, runs: dict[str, Experiment]) -> None:
    body = bob_api.get(URL).json()
    assert [row["id"] for row in body["rows"]] == [runs["bobs"].pk]
    lines = read_csv(bob_api.get(CSV_URL, {"q": "paper"}))
    assert [int(line["number"]) for line in lines] == [runs["bobs"].number]


def test_the_table_needs_a_login(client: Any) -> None:
    assert client.get(URL).status_code in (401, 403)
    assert client.get(CSV_URL).status_code in (401, 403)


def test_the_table_reads_in_a_fixed_number_of_queries(alice: Any, alice_api: Any) -> None:
    for seed in range(3):
        finished_run(alice, seed=seed, classes=["box", "line", "tri"], tags=["paper"])
    with CaptureQueriesContext(connection) as few:
        assert len(alice_api.get(URL, {"sort": "-r:tri", "tag": "paper"}).json()["rows"]) == 3
    for seed in range(3, 15):
        finished_run(alice, seed=seed, classes=["box", "circle"], tags=["paper"])
    with CaptureQueriesContext(connection) as many:
        assert len(alice_api.get(URL, {"sort": "-r:tri", "tag": "paper"}).json()["rows"]) == 15
    assert len(few) == len(many) <= 6, [q["sql"] for q in many.captured_queries]


def test_the_table_is_cut_at_its_limit_and_says_how_many_matched(
    alice: Any, alice_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for seed in range(4):
        finished_run(alice, seed=seed)
    monkeypatch.setattr(table, "MAX_ROWS", 3)
    body = alice_api.get(URL, {"sort": "seed"}).json()
    assert body["count"] == 4 and body["shown"] == 3 and body["limit"] == 3
    assert [row["seed"] for row in body["rows"]] == [0, 1, 2]


def test_a_sweeps_runs_name_their_sweep_and_link_to_its_page(
    alice: Any, alice_api: Any, runs: dict[str, Experiment]
) -> None:
    from django.urls import reverse

    from sweeps.services import sweep_create

    config = {"classes": ["box", "line"], "model": "mlp", "epochs": 2, "seed": 40}
    first = sweep_create(user=alice, config=config, seeds=2, vary=None)
    second = sweep_create(user=alice, config=config, seeds=2, vary=None)
    body = alice_api.get(URL, {"sort": "sweep"}).json()
    sweeps = [row["sweep"] for row in body["rows"]]
    # Sorted by the sweep's number; runs of no sweep last.
    assert [s and s["number"] for s in sweeps] == [1, 1, 2, 2, None, None, None, None]
    assert sweeps[0] == {
        "id": first.pk,
        "number": 1,
        "url": reverse("sweep-page", args=[first.pk]),
    }
    assert sweeps[2]["url"] == reverse("sweep-page", args=[second.pk])
    assert numbers(alice_api.get(URL, {"q": "sweep 2"}).json()) == [
        row["number"] for row in body["rows"][2:4]
    ]
    lines = read_csv(alice_api.get(CSV_URL, {"sort": "-sweep", "columns": "number,sweep"}))
    assert [line["sweep"] for line in lines] == ["2", "2", "1", "1", "", "", "", ""]
