"""The detail JSON (summary, groups, claims) against figures computed here by hand, and
the CSV and JSON exports."""

from __future__ import annotations

import csv
import io
import json
import statistics
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sweeps import services as sweeps
from sweeps.models import Sweep
from tests.sweeps.helpers import BASE, finish

pytestmark = pytest.mark.django_db

# |r| of (box, line) per epochs value and seed (11, 12, 13).
RS = {
    2: {11: (0.2, 0.9), 12: (0.4, 0.8), 13: (0.3, None)},
    3: {11: (0.5, 0.7), 12: (0.1, 0.6), 13: (0.6, 0.95)},
}


@pytest.fixture
def sweep(alice: Any) -> Sweep:
    made = sweeps.sweep_create(
        user=alice, config=BASE, seeds=3, vary={"epochs": [2, 3]}, name="=depth"
    )
    for member in made.members.select_related("experiment"):
        finish(member.experiment, rs=RS[member.values["epochs"]][member.seed])
    return made


def test_summary_is_the_mean_and_sample_sd_per_value_and_class(
    sweep: Sweep, alice_api: APIClient
) -> None:
    body = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/").json()
    assert body["status"] == "done" and body["fraction"] == 1.0
    assert body["counts"]["done"] == 6
    assert [c["key"] for c in body["classes"]] == ["box", "line"]
    rows = {(row["values"]["epochs"], row["class"]): row for row in body["summary"]}
    assert len(rows) == 4
    for epochs, per_seed in RS.items():
        for position, key in enumerate(["box", "line"]):
            row = rows[(epochs, key)]
            rs = [values[position] for values in per_seed.values() if values[position] is not None]
            assert row["n"] == len(rs)
            assert row["mean_r"] == pytest.approx(statistics.mean(rs))
            assert row["sd_r"] == pytest.approx(statistics.stdev(rs))
            assert row["runs"] == 3
            assert [entry["seed"] for entry in row["rs"]] == [11, 12, 13]
    # The undefined r of (2, 13, line) is listed but left out of the mean.
    assert rows[(2, "line")]["n"] == 2
    assert rows[(2, "line")]["rs"][2]["r"] is None


def test_claims_pair_seeds_and_hold_on_the_means(sweep: Sweep, alice_api: APIClient) -> None:
    body = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/").json()
    claims = {claim["class"]: claim for claim in body["claims"]}
    # box: epochs 3 mean 0.4 > epochs 2 mean 0.3; seeds where it holds: 11 and 13 of 3.
    box = claims["box"]
    assert box["better"] == {"epochs": 3} and box["worse"] == {"epochs": 2}
    assert box["text"] == "epochs 3 > epochs 2"
    assert (box["seeds"], box["seeds_holding"]) == (3, 2)
    assert box["share"] == pytest.approx(2 / 3) and box["holds_on_means"]
    # line: epochs 2 mean 0.85 > epochs 3 mean 0.75; seed 13 is not paired (r undefined).
    line = claims["line"]
    assert line["better"] == {"epochs": 2}
    assert (line["seeds"], line["seeds_holding"]) == (2, 2)


def test_groups_are_the_spread_of_each_runs_mean_r(sweep: Sweep, alice_api: APIClient) -> None:
    body = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/").json()
    groups = {group["values"]["epochs"]: group for group in body["groups"]}
    for epochs, per_seed in RS.items():
        means = [statistics.mean(r for r in rs if r is not None) for rs in per_seed.values()]
        assert groups[epochs]["n"] == 3
        assert groups[epochs]["mean_r"] == pytest.approx(statistics.mean(means))
        assert groups[epochs]["sd_r"] == pytest.approx(statistics.stdev(means))
        assert groups[epochs]["mean_accuracy"] is not None


def test_a_seed_group_makes_no_claims(alice: Any, alice_api: APIClient) -> None:
    made = sweeps.sweep_create(user=alice, config=BASE, seeds=2, vary=None)
    for member in made.members.select_related("experiment"):
        finish(member.experiment, rs=[0.5, 0.6 + member.seed / 100])
    body = alice_api.get(f"/api/v1/sweeps/{made.pk}/").json()
    assert body["claims"] == []
    assert [row["values"] for row in body["summary"]] == [{}, {}]


def test_the_detail_takes_a_bounded_number_of_queries(
    sweep: Sweep, alice: Any, alice_api: APIClient
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_api.get(f"/api/v1/sweeps/{sweep.pk}/").status_code == 200
        return len(queries)

    few = count()
    bigger = sweeps.sweep_create(user=alice, config=BASE, seeds=10, vary={"epochs": [2, 3]})
    for member in bigger.members.select_related("experiment"):
        finish(member.experiment, rs=[0.5, 0.6])
    with CaptureQueriesContext(connection) as queries:
        assert alice_api.get(f"/api/v1/sweeps/{bigger.pk}/").status_code == 200
    assert len(queries) == few


def test_csv_has_a_row_per_run_and_class_and_is_spreadsheet_safe(
    sweep: Sweep, alice_api: APIClient
) -> None:
    response = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sweep-1-depth.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 12
    assert list(rows[0]) == [
        "sweep", "sweep_name", "experiment", "experiment_id", "seed", "epochs",
        "class", "class_name", "r", "accuracy", "val_accuracy", "test_accuracy", "status",
    ]  # fmt: skip
    assert rows[0]["sweep_name"] == "'=depth"  # not a formula
    first = rows[0]
    assert (first["seed"], first["epochs"], first["class"], first["r"]) == ("11", "2", "box", "0.2")
    assert first["status"] == "done"
    undefined = [
        row for row in rows if (row["epochs"], row["seed"], row["class"]) == ("2", "13", "line")
    ]
    assert undefined[0]["r"] == ""


def test_json_export_is_the_detail(sweep: Sweep, alice_api: APIClient) -> None:
    response = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    exported = json.loads(response.content)
    detail = alice_api.get(f"/api/v1/sweeps/{sweep.pk}/").json()
    assert exported["summary"] == detail["summary"]
    assert exported["claims"] == detail["claims"]
    assert [run["id"] for run in exported["experiments"]] == [
        run["id"] for run in detail["experiments"]
    ]
