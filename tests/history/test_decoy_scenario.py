"""The decoy digits scenario: plain, penalty and augmentation runs on the decoy digits and a
clean run on the digits, queued in one click with one seed, the corner patches as the decoy
classes' red region."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from experiments import services
from experiments.models import Experiment
from history.scenarios import SCENARIOS
from models_zoo import datasets
from models_zoo.decoy import DECOY_LAMBDA

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def four_places(settings: Any) -> None:
    """The scenario is four runs: a site must allow four active runs to queue it at once."""
    settings.MAX_ACTIVE_EXPERIMENTS = 4


DECOY = [f"decoy:{digit}" for digit in range(10)]
DIGITS = [f"digits:{digit}" for digit in range(10)]


def test_the_decoy_scenario_queues_three_decoy_runs_and_a_clean_one(
    alice: Any, alice_api: Any
) -> None:
    response = alice_api.post("/api/v1/scenarios/decoy/")
    assert response.status_code == 201, response.json()
    body = response.json()
    experiments = [Experiment.objects.get(pk=pk) for pk in body["ids"]]
    assert [e.class_keys for e in experiments] == [DECOY, DECOY, DECOY, DIGITS]
    configs = [e.config for e in experiments]
    assert [c["highlight"] for c in configs] == ["none", "rrr", "augment", "none"]
    assert configs[1]["highlight_lambda"] == DECOY_LAMBDA
    defaults = datasets.DATASETS["decoy"].defaults
    for experiment, config in zip(experiments, configs, strict=True):
        assert experiment.owner == alice and experiment.status == "queued"
        assert experiment.model_name == "mlp" and experiment.tags == ["paper-decoy"]
        assert config["seed"] == body["seed"]
        # The dataset's defaults, not the paper preset's 100 epochs of batches of 4.
        for name, value in defaults.items():
            assert config[name] == value
    assert "&scenario=decoy&wait=1" in body["wait_url"]


def test_the_decoy_runs_carry_the_corner_patches_as_their_red_region(alice_api: Any) -> None:
    ids = alice_api.post("/api/v1/scenarios/decoy/").json()["ids"]
    corners = datasets.default_irrelevant("decoy:0")
    assert corners is not None and corners.sum() == 4 * 16
    penalty, clean = Experiment.objects.get(pk=ids[1]), Experiment.objects.get(pk=ids[3])
    specs = services.class_specs(experiment=penalty)
    assert [spec.dataset for spec in specs] == ["decoy"] * 10
    for spec in specs:
        assert spec.irrelevant is not None
        np.testing.assert_array_equal(spec.irrelevant > 0.5, corners > 0.5)
    # Clean digits have no patches, so nothing is marked.
    assert all(spec.irrelevant is None for spec in services.class_specs(experiment=clean))


def test_the_decoy_scenario_is_listed_and_offered_on_the_history_page(
    alice_api: Any, alice_client: Any
) -> None:
    listed = {item["key"]: item for item in alice_api.get("/api/v1/scenarios/").json()}
    assert [run["classes"] for run in listed["decoy"]["runs"]] == [DECOY, DECOY, DECOY, DIGITS]
    html = alice_client.get("/history/").content.decode()
    assert 'data-scenario="decoy"' in html
    assert "(4 runs)" in html


def test_with_three_places_the_scenario_is_refused_whole(
    alice: Any, alice_api: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 3
    response = alice_api.post("/api/v1/scenarios/decoy/")
    assert response.status_code == 429
    assert "These 4 experiments need 4 free places" in response.json()["detail"]
    assert not Experiment.objects.filter(owner=alice).exists()


def test_every_scenarios_runs_are_valid_configurations() -> None:
    for scenario in SCENARIOS.values():
        configs = scenario.configs(seed=7)
        assert len(configs) == len(scenario.runs)
        assert all(config["seed"] == 7 for config in configs)


def test_every_scenario_fits_under_the_default_active_run_limit() -> None:
    from shapeshop_site import settings as site_settings

    largest = max(len(scenario.runs) for scenario in SCENARIOS.values())
    assert largest == 4
    assert site_settings.MAX_ACTIVE_EXPERIMENTS >= largest
