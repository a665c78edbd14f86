"""Creating a sweep: validation names the field, members are ordinary runs, tagged, held."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from experiments.models import Experiment
from sweeps.models import Sweep, SweepMember
from tests.sweeps.helpers import BASE

pytestmark = pytest.mark.django_db

URL = "/api/v1/sweeps/"


def post(client: APIClient, **body: Any) -> Any:
    return client.post(URL, {"config": BASE, "seeds": 2, **body}, format="json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"vary": {"colour": ["red", "blue"]}}, "vary.colour"),  # not a setting
        ({"vary": {"seed": [1, 2]}}, "vary.seed"),  # the seed is the sweep's own axis
        ({"vary": {"model": ["mlp", "transformer"]}}, "vary.model"),  # a bad value
        ({"vary": {"epochs": [2, 0]}}, "vary.epochs"),
        ({"vary": {"epochs": []}}, "vary.epochs"),  # an empty list
        ({"vary": {"epochs": 3}}, "vary.epochs"),  # not a list
        ({"vary": {"epochs": [2, 2]}}, "vary.epochs"),  # a value twice
        ({"vary": ["epochs"]}, "vary"),
        ({"vary": {"epochs": [2, 3], "model": ["mlp"], "copies": [4, 5]}}, "vary"),  # 3 settings
        ({"seeds": 1}, "seeds"),
        ({"seeds": 21}, "seeds"),
        ({"seeds": "many"}, "seeds"),
        ({"config": {**BASE, "epochs": 0}}, "epochs"),
        ({"config": {**BASE, "classes": ["box"]}}, "classes"),
        ({"config": "mlp"}, "config"),
        ({"name": "x" * 81}, "name"),
        ({"name": "a\u202eb"}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    alice_api: APIClient, body: dict[str, Any], field: str
) -> None:
    response = post(alice_api, **body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Sweep.objects.exists() and not Experiment.objects.exists()


def test_a_seed_count_out_of_range_says_the_range(alice_api: APIClient) -> None:
    for seeds in (1, 21):
        assert post(alice_api, seeds=seeds).json() == {"seeds": ["must be from 2 to 20"]}


def test_more_runs_than_a_sweep_may_have_is_refused_stating_the_bound(
    alice_api: APIClient,
) -> None:
    # 11 x 2 combinations x 10 seeds = 220 runs, over the bound of 200.
    vary = {"epochs": list(range(2, 13)), "model": ["mlp", "cnn"]}
    response = post(alice_api, seeds=10, vary=vary)
    assert response.status_code == 400
    message = " ".join(response.json()["seeds"])
    assert "220 runs" in message and "at most 200" in message
    assert not Experiment.objects.exists()


def test_a_member_over_the_budget_is_named_by_the_varied_setting(
    alice_api: APIClient, settings: Any
) -> None:
    settings.MAX_RUN_SECONDS = 60
    heavy = {**BASE, "model": "cnn_deep", "copies": 50, "batch_size": 1}
    response = post(alice_api, config=heavy, vary={"epochs": [2, 400]})
    assert response.status_code == 400
    (message,) = response.json()["vary.epochs"]
    assert message.startswith("with epochs 400: this run would keep a worker busy")
    assert not Experiment.objects.exists()


def test_create_stores_one_tagged_held_run_per_member(alice_api: APIClient, alice: Any) -> None:
    response = post(alice_api, seeds=3, vary={"epochs": [2, 3]}, name="depth")
    assert response.status_code == 201, response.content
    body = response.json()
    sweep = Sweep.objects.get(pk=body["id"])
    assert (sweep.owner, sweep.number, sweep.name, sweep.seeds) == (alice, 1, "depth", 3)
    assert sweep.vary == {"epochs": [2, 3]}
    assert len(body["experiments"]) == 6
    runs = Experiment.objects.filter(pk__in=body["experiments"]).order_by("sweep_member__position")
    assert [(r.config["epochs"], r.seed) for r in runs] == [
        (2, 11), (2, 12), (2, 13), (3, 11), (3, 12), (3, 13)
    ]  # fmt: skip
    assert all(run.status == "queued" and run.tags == ["sweep-1"] for run in runs)
    # Held: not sent (this test's transaction never commits, and nothing is marked sent).
    assert all(run.sent_at is None for run in runs)
    assert not SweepMember.objects.filter(sent_at__isnull=False).exists()
    assert body["status"] == "queued"
    assert body["counts"] == {
        "total": 6, "queued": 6, "running": 0, "done": 0, "failed": 0, "cancelled": 0
    }  # fmt: skip
    assert body["urls"]["page"] == f"/sweeps/{sweep.pk}/"


def test_a_sweep_is_not_refused_for_the_active_cap_and_numbers_count_per_user(
    alice_api: APIClient, bob_api: APIClient, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 1
    first = post(alice_api, seeds=5)
    assert first.status_code == 201 and len(first.json()["experiments"]) == 5
    assert post(alice_api, seeds=2).json()["number"] == 2
    assert post(bob_api, seeds=2).json()["number"] == 1


def test_a_base_without_a_seed_gets_one_and_members_count_up_from_it(
    alice_api: APIClient,
) -> None:
    config = {key: value for key, value in BASE.items() if key != "seed"}
    body = alice_api.post(URL, {"config": config, "seeds": 3}, format="json").json()
    seeds = [row["seed"] for row in alice_api.get(f"{URL}{body['id']}/").json()["experiments"]]
    assert seeds == [seeds[0], seeds[0] + 1, seeds[0] + 2]
    assert body["config"]["seed"] == seeds[0]


def test_the_list_is_the_users_own(alice_api: APIClient, bob_api: APIClient) -> None:
    mine = post(alice_api).json()["id"]
    post(bob_api)
    body = alice_api.get(URL).json()
    assert [row["id"] for row in body["results"]] == [mine]
    assert body["results"][0]["counts"]["total"] == 2
    assert body["results"][0]["status"] == "queued"


def test_another_users_sweep_is_a_404_everywhere(
    alice_api: APIClient, bob_api: APIClient, bob_client: Any
) -> None:
    pk = post(alice_api).json()["id"]
    for path in ("", "export.csv", "export.json"):
        assert bob_api.get(f"{URL}{pk}/{path}").status_code == 404
    assert bob_api.post(f"{URL}{pk}/cancel/").status_code == 404
    assert bob_api.delete(f"{URL}{pk}/").status_code == 404
    assert bob_client.get(f"/sweeps/{pk}/").status_code == 404
    assert Sweep.objects.get(pk=pk).members.count() == 2
    assert not Sweep.objects.get(pk=pk).cancelled


def test_pages_need_a_sign_in_and_show_the_owners_sweep(
    alice_api: APIClient, alice_client: Any, client: Any
) -> None:
    pk = post(alice_api).json()["id"]
    assert client.get(f"/sweeps/{pk}/").status_code == 302
    assert alice_client.get(f"/sweeps/{pk}/").status_code == 200
    assert alice_client.get("/sweeps/").status_code == 200


def test_the_layer_sizes_may_be_varied_and_show_as_json_in_the_csv(
    alice_api: APIClient,
) -> None:
    response = post(alice_api, vary={"mlp_layers": [[16], [32, 16]]})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    runs = Experiment.objects.filter(sweep_member__sweep_id=pk).order_by("sweep_member__position")
    assert [run.config["mlp_layers"] for run in runs] == [[16], [16], [32, 16], [32, 16]]
    assert Sweep.objects.get(pk=pk).vary == {"mlp_layers": [[16], [32, 16]]}
    lines = alice_api.get(f"{URL}{pk}/export.csv").content.decode().splitlines()
    assert lines[0].split(",")[5] == "mlp_layers"
    assert '"[32, 16]"' in lines[-1]


def test_the_storage_quota_and_the_waiting_bound_refuse_a_sweep(
    alice_api: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.STORAGE_QUOTA_MB = 0
    response = post(alice_api)
    assert response.status_code == 429 and "MB" in response.json()["detail"]
    settings.STORAGE_QUOTA_MB = 100
    monkeypatch.setattr("sweeps.services.MAX_WAITING_RUNS", 5)
    assert post(alice_api, seeds=4).status_code == 201
    refused = post(alice_api, seeds=2)
    assert refused.status_code == 429
    assert "4 runs waiting" in refused.json()["detail"]
    assert Experiment.objects.count() == 4
