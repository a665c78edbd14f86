"""How a sweep's members are grouped for the workers: members that differ only in the seed
share one computation, and a group holding more training images than allowed is cut into
consecutive parts of nearly equal size."""

from __future__ import annotations

from models_zoo.budget import training_images
from models_zoo.config import RunConfig
from models_zoo.sweep import groups, plan

DIGITS = RunConfig.from_dict({"classes": [f"digits:{d}" for d in range(10)]})
SHAPES = RunConfig.from_dict({"classes": ["box", "line", "circle"], "copies": 10})


def positions(parts: list[list[object]]) -> list[list[int]]:
    return [[member.index for member in part] for part in parts]  # type: ignore[attr-defined]


def test_without_a_limit_a_group_is_every_member_that_differs_only_in_the_seed() -> None:
    members = plan(SHAPES, 3, {"epochs": [2, 3]})
    assert positions(groups(members)) == [[0, 1, 2], [3, 4, 5]]


def test_a_group_over_the_limit_goes_in_nearly_equal_consecutive_parts() -> None:
    each = training_images(DIGITS)
    assert each == 3600  # 400 training images a digit, a tenth held out for validation
    members = plan(DIGITS, 20)
    # Five members' images fit: four parts of five.
    parts = groups(members, max_images=5 * each + each - 1)
    assert positions(parts) == [list(range(i, i + 5)) for i in range(0, 20, 5)]
    # Eleven fit: two parts of ten rather than eleven and nine.
    assert [len(part) for part in groups(members, max_images=11 * each)] == [10, 10]
    # Seven fit: three parts, the first ones one larger.
    assert [len(part) for part in groups(members, max_images=7 * each)] == [7, 7, 6]


def test_each_varied_value_is_cut_on_its_own_and_order_is_kept() -> None:
    members = plan(DIGITS, 3, {"epochs": [2, 3]})
    each = training_images(DIGITS)
    assert positions(groups(members, max_images=2 * each)) == [[0, 1], [2], [3, 4], [5]]


def test_a_member_over_the_limit_alone_still_gets_a_part() -> None:
    members = plan(DIGITS, 3)
    assert positions(groups(members, max_images=10)) == [[0], [1], [2]]


def test_small_groups_are_not_cut() -> None:
    members = plan(SHAPES, 20)
    assert positions(groups(members, max_images=20_000)) == [list(range(20))]
