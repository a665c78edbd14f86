"""Seed groups in the comparison: runs whose settings differ only in the seed are one unit,
with the mean and sample standard deviation of each figure, beside the single runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experiments.models import Experiment
from history.comparison import spread
from tests.factories import TINY_MLP, finished_run, trained_run

pytestmark = pytest.mark.django_db

COMPARE = "/api/v1/compare/"


def ids_of(experiments: list[Experiment]) -> str:
    return ",".join(str(experiment.pk) for experiment in experiments)


@pytest.fixture
def mixed(alice: Any) -> dict[str, list[Experiment]]:
    """Three seeds of one MLP setting, two of the same with more epochs, one CNN run, and
    one run of the first setting on other classes."""
    return {
        "mlp": [
            finished_run(alice, seed=1, classes=["line", "box"], rs=[0.72, 0.30], epochs=5),
            finished_run(alice, seed=2, classes=["line", "box"], rs=[0.35, None], epochs=5),
            finished_run(alice, seed=3, classes=["line", "box"], rs=[0.87, 0.10], epochs=5),
        ],
        "longer": [
            finished_run(alice, seed=1, classes=["line", "box"], rs=[0.5, 0.6], epochs=9),
            finished_run(alice, seed=7, classes=["line", "box"], rs=[0.4, 0.2], epochs=9),
        ],
        "cnn": [finished_run(alice, seed=1, model="cnn", classes=["line", "box"], rs=[0.9, 0.8])],
        "other": [finished_run(alice, seed=4, classes=["line", "circle"], rs=[0.6, 0.5])],
    }


def expected(values: list[float | None]) -> tuple[int, float | None, float | None]:
    """n, mean and sample sd of the values that exist, by numpy (not the code under test)."""
    present = np.array([value for value in values if value is not None], dtype=float)
    mean = float(present.mean()) if present.size else None
    sd = float(present.std(ddof=1)) if present.size > 1 else None
    return present.size, mean, sd


def check(figure: dict[str, Any], values: list[float | None]) -> None:
    n, mean, sd = expected(values)
    assert figure["n"] == n
    assert figure["mean"] == pytest.approx(mean)
    assert figure["sd"] == pytest.approx(sd)
    assert [dot["value"] for dot in figure["values"]] == pytest.approx(values)


def test_runs_differing_only_in_the_seed_form_one_unit_with_mean_and_sd(
    alice_api: Any, mixed: dict[str, list[Experiment]]
) -> None:
    mlp, longer, cnn, other = mixed["mlp"], mixed["longer"], mixed["cnn"], mixed["other"]
    # Members interleaved with the others: each unit stands where its first run stands.
    order = [mlp[0], cnn[0], longer[0], mlp[1], other[0], longer[1], mlp[2]]
    data = alice_api.get(COMPARE, {"ids": ids_of(order)}).json()
    groups = data["seed_groups"]
    units = groups["units"]
    assert groups["groups"] == 2
    assert [unit["kind"] for unit in units] == ["group", "run", "group", "run"]
    assert [unit["ids"] for unit in units] == [
        [e.pk for e in mlp],
        [cnn[0].pk],
        [e.pk for e in longer],
        [other[0].pk],
    ]
    assert [unit["n"] for unit in units] == [3, 1, 2, 1]
    assert units[0]["seeds"] == [1, 2, 3]
    assert (
        units[0]["label"]
        == f"MLP \u00d7 3 seeds ([{mlp[0].number}], [{mlp[1].number}], [{mlp[2].number}])"
    )
    # What tells the units apart, the seed aside: model, classes and epochs.
    assert units[1]["settings"]["model"] == "cnn"
    assert units[2]["settings"]["epochs"] == 9
    assert units[3]["settings"]["classes"] == ["line", "circle"]
    assert "seed" not in units[0]["settings"]

    keys = [row["key"] for row in data["classes"]]
    assert keys == ["line", "box", "circle"]
    for unit, members in zip(units, (mlp, cnn, longer, other), strict=True):
        stored = [Experiment.objects.get(pk=member.pk) for member in members]
        check(unit["accuracy"], [member.accuracy for member in stored])
        check(unit["val_accuracy"], [member.val_accuracy for member in stored])
        for position, key in enumerate(keys):
            figure = unit["classes"][position]
            if key not in stored[0].class_keys:
                assert figure is None
                continue
            check(figure, [member.results.get(class_key=key).r for member in stored])
        assert [dot["id"] for dot in unit["accuracy"]["values"]] == unit["ids"]
    # The group's box: one seed has no |r|, so two values and their sd.
    box = units[0]["classes"][1]
    assert box["n"] == 2
    assert box["mean"] == pytest.approx(0.2)
    assert box["sd"] == pytest.approx(np.std([0.3, 0.1], ddof=1))
    assert [dot["seed"] for dot in box["values"]] == [1, 2, 3]
    line = units[0]["classes"][0]
    assert line["mean"] == pytest.approx((0.72 + 0.35 + 0.87) / 3)
    # A single run has its value and no spread.
    assert units[1]["classes"][0] == {
        "n": 1,
        "mean": 0.9,
        "sd": None,
        "values": [{"id": cnn[0].pk, "number": cnn[0].number, "seed": 1, "value": 0.9}],
    }


def test_without_repeated_settings_every_run_is_its_own_unit(
    alice_api: Any, mixed: dict[str, list[Experiment]]
) -> None:
    runs = [mixed["mlp"][0], mixed["cnn"][0], mixed["other"][0]]
    groups = alice_api.get(COMPARE, {"ids": ids_of(runs)}).json()["seed_groups"]
    assert groups["groups"] == 0
    assert [unit["kind"] for unit in groups["units"]] == ["run", "run", "run"]


def test_a_re_visualization_is_not_another_seed_of_its_source(alice: Any, alice_api: Any) -> None:
    from experiments import services

    # Trained for real: a re-visualization needs the source's stored weights.
    first = trained_run(alice, TINY_MLP, seed=1)
    again = trained_run(alice, TINY_MLP, seed=2)
    images = services.experiment_revisualize(user=alice, source=first, changes={})
    # Same settings, seed and classes as its source: only how it was made sets it apart.
    assert images.config == first.config and images.class_keys == first.class_keys
    groups = alice_api.get(COMPARE, {"ids": ids_of([first, again, images])}).json()["seed_groups"]
    assert [unit["ids"] for unit in groups["units"]] == [[first.pk, again.pk], [images.pk]]


def test_the_spread_is_the_sample_standard_deviation() -> None:
    assert spread([]) == {"n": 0, "mean": None, "sd": None}
    assert spread([0.4]) == {"n": 1, "mean": 0.4, "sd": None}
    values = [0.72, 0.35, 0.87, 0.5]
    result = spread(values)
    assert result["mean"] == pytest.approx(np.mean(values))
    assert result["sd"] == pytest.approx(np.std(values, ddof=1))
    assert result["sd"] != pytest.approx(np.std(values))


def test_groups_cost_no_query_of_their_own(
    alice_api: Any, mixed: dict[str, list[Experiment]]
) -> None:
    few = mixed["mlp"][:2]
    many = [*mixed["mlp"], *mixed["longer"], *mixed["cnn"]]
    with CaptureQueriesContext(connection) as first:
        alice_api.get(COMPARE, {"ids": ids_of(few)})
    with CaptureQueriesContext(connection) as second:
        alice_api.get(COMPARE, {"ids": ids_of(many)})
    assert len(first) == len(second)


def test_a_run_stored_before_a_setting_existed_ran_with_its_default(
    alice: Any, alice_api: Any
) -> None:
    old, new = (
        finished_run(alice, seed=seed, classes=["line", "box"], rs=[0.5, 0.4], epochs=5)
        for seed in (1, 2)
    )
    # As a run stored before the model's shape and diversity were settings.
    for name in ("mlp_layers", "cnn_filters", "cnn_dense", "diversity", "diversity_starts"):
        old.config.pop(name)
    Experiment.objects.filter(pk=old.pk).update(config=old.config)
    data = alice_api.get(COMPARE, {"ids": ids_of([old, new])}).json()
    assert [row["name"] for row in data["settings"]] == ["seed"]
    assert [unit["ids"] for unit in data["seed_groups"]["units"]] == [[old.pk, new.pk]]
