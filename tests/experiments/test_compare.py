"""The compare API and its pieces: class alignment, the settings diff, CSV, snapshots,
saved comparisons and the paper's scenarios. Ownership: bob never sees alice's runs."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from experiments import services, tasks
from experiments.models import Experiment
from history import comparison
from history.models import SavedComparison
from tests.factories import TINY_MLP, finished_run

pytestmark = pytest.mark.django_db

COMPARE = "/api/v1/compare/"


def three(user: Any) -> list[Experiment]:
    """The paper's first scenario in miniature: lines, + circles, + noise."""
    return [
        finished_run(user, seed=1, classes=["line", "line_horizontal"], rs=[0.39, 0.4]),
        finished_run(
            user,
            seed=2,
            classes=["line", "line_horizontal", "circle", "circle_hollow"],
            rs=[0.52, 0.53, 0.38, None],
        ),
        finished_run(
            user,
            seed=3,
            model="cnn",
            classes=["line", "line_horizontal", "noise"],
            rs=[0.59, 0.57, 0.01],
            snapshot_frames=4,
        ),
    ]


def ids_of(experiments: list[Experiment]) -> str:
    return ",".join(str(e.pk) for e in experiments)


# --- the settings diff (pure) ------------------------------------------------------------


def test_the_diff_keeps_only_settings_that_differ() -> None:
    configs = [
        {"model": "mlp", "epochs": 100, "step_size": 0.005, "classes": ["box", "line"]},
        {"model": "cnn", "epochs": 100, "step_size": 0.005, "classes": ["box", "line"]},
        {"model": "mlp", "epochs": 50, "step_size": 0.005, "classes": ["box", "line"]},
    ]
    rows = comparison.settings_diff(configs)
    assert [row["name"] for row in rows] == ["model", "epochs"]
    assert rows[0]["values"] == ["mlp", "cnn", "mlp"]
    assert rows[1]["values"] == [100, 100, 50]
    assert all(row["differs"] for row in rows)


def test_the_diff_shows_everything_on_request_in_reading_order() -> None:
    configs = [{"zeta": 1, "epochs": 5, "model": "mlp"}, {"zeta": 1, "epochs": 6, "model": "mlp"}]
    rows = comparison.settings_diff(configs, show_all=True)
    assert [(row["name"], row["differs"]) for row in rows] == [
        ("model", False),
        ("epochs", True),
        ("zeta", False),
    ]


def test_a_setting_one_config_lacks_counts_as_a_difference() -> None:
    rows = comparison.settings_diff([{"model": "mlp", "jitter": 2}, {"model": "mlp"}])
    assert rows == [{"name": "jitter", "values": [2, None], "differs": True}]


def test_lists_differ_by_content_not_identity() -> None:
    assert comparison.settings_diff([{"classes": ["a", "b"]}, {"classes": ["a", "b"]}]) == []
    assert comparison.settings_diff([{"classes": ["a", "b"]}, {"classes": ["b", "a"]}])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Compare from 2"),
        ("5", "Compare from 2"),
        ("3,x", "separated by commas"),
        ("3,3", "listed twice"),
        ("3,-1", "positive"),
        (",".join(str(i) for i in range(1, 14)), "not 13"),
    ],
)
def test_bad_id_lists_are_refused_with_a_reason(raw: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        comparison.parse_ids(raw)
    assert message in " ".join(caught.value.message_dict["ids"])


# --- the compare endpoint ------------------------------------------------------------------


def test_compare_aligns_classes_and_measures_change_against_the_base(
    alice: Any, alice_api: Any
) -> None:
    first, second, third = three(alice)
    response = alice_api.get(COMPARE, {"ids": ids_of([first, second, third])})
    assert response.status_code == 200
    data = response.json()
    assert data["base"] == first.pk
    assert [e["id"] for e in data["experiments"]] == [first.pk, second.pk, third.pk]
    assert [row["key"] for row in data["classes"]] == [
        "line",
        "line_horizontal",
        "circle",
        "circle_hollow",
        "noise",
    ]
    line = data["classes"][0]["cells"]
    assert [cell["r"] for cell in line] == [0.39, 0.52, 0.59]
    assert line[0]["delta_r"] is None
    assert line[1]["delta_r"] == pytest.approx(0.13)
    assert line[2]["delta_r"] == pytest.approx(0.20)
    circle_hollow = data["classes"][3]["cells"]
    assert circle_hollow[0] is None and circle_hollow[2] is None
    assert circle_hollow[1]["r"] is None and circle_hollow[1]["delta_r"] is None
    noise = data["classes"][4]["cells"]
    assert noise[:2] == [None, None] and noise[2]["snapshot_frames"] == 4
    assert line[0]["snapshot_frames"] == 0
    assert {row["name"] for row in data["settings"]} >= {"model", "classes", "seed"}
    assert all(row["differs"] for row in data["settings"])
    assert len(data["experiments"][2]["history"]["val_loss"]) == 5
    assert len(data["experiments"][1]["cross_r"]) == 4


def test_compare_against_another_base_and_with_every_setting(alice: Any, alice_api: Any) -> None:
    first, second, third = three(alice)
    response = alice_api.get(
        COMPARE, {"ids": ids_of([first, second, third]), "base": second.pk, "all": "1"}
    )
    data = response.json()
    assert data["base"] == second.pk
    line = data["classes"][0]["cells"]
    assert line[0]["delta_r"] == pytest.approx(0.39 - 0.52)
    assert line[1]["delta_r"] is None
    names = [row["name"] for row in data["settings"]]
    assert "step_size" in names and "initial_image" in names
    assert not next(row for row in data["settings"] if row["name"] == "step_size")["differs"]


def test_compare_runs_a_fixed_number_of_queries(
    alice: Any, alice_api: Any, django_assert_max_num_queries: Any
) -> None:
    experiments = [
        finished_run(alice, seed=n, classes=["box", "line", "circle"]) for n in range(1, 7)
    ]
    # Session and user, then the experiments and their results: not one query per column.
    with django_assert_max_num_queries(5):
        response = alice_api.get(COMPARE, {"ids": ids_of(experiments)})
    assert response.status_code == 200


def test_compare_with_one_of_bobs_ids_is_a_404(alice: Any, bob: Any, alice_api: Any) -> None:
    first, *_ = three(alice)
    bobs = finished_run(bob, seed=1, classes=["box", "line"])
    response = alice_api.get(COMPARE, {"ids": f"{first.pk},{bobs.pk}"})
    assert response.status_code == 404
    csv_response = alice_api.get("/api/v1/compare/csv/", {"ids": f"{bobs.pk},{first.pk}"})
    assert csv_response.status_code == 404
    assert alice_api.get(COMPARE, {"ids": f"{first.pk},999999"}).status_code == 404


def test_compare_refuses_bad_parameters_with_400(alice: Any, alice_api: Any) -> None:
    first, second, third = three(alice)
    assert alice_api.get(COMPARE, {"ids": "abc"}).json() == {
        "ids": ["Give the experiments as ids separated by commas."]
    }
    response = alice_api.get(COMPARE, {"ids": ids_of([first, second]), "base": third.pk})
    assert response.status_code == 400 and "base" in response.json()
    assert alice_api.get(COMPARE, {"ids": ids_of([first, second]), "base": "x"}).status_code == 400


def test_compare_needs_a_login(client: Any) -> None:
    assert client.get(COMPARE, {"ids": "1,2"}).status_code in (401, 403)


# --- CSV ------------------------------------------------------------------------------------


def test_the_csv_holds_one_line_per_trained_class(alice: Any, alice_api: Any) -> None:
    first, second, third = three(alice)
    response = alice_api.get("/api/v1/compare/csv/", {"ids": ids_of([first, second, third])})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(lines) == 2 + 4 + 3
    assert list(lines[0]) == list(comparison.CSV_COLUMNS)
    by_key = {(int(line["experiment_id"]), line["class"]): line for line in lines}
    assert float(by_key[(second.pk, "line")]["r"]) == 0.52
    assert float(by_key[(second.pk, "line")]["delta_r_vs_base"]) == pytest.approx(0.13)
    assert by_key[(first.pk, "line")]["delta_r_vs_base"] == ""
    assert by_key[(second.pk, "circle_hollow")]["r"] == ""
    assert by_key[(third.pk, "noise")]["model"] == "cnn"
    assert by_key[(third.pk, "noise")]["class_name"] == "Noise"
    assert (first.pk, "noise") not in by_key
    assert float(by_key[(third.pk, "noise")]["accuracy"]) == pytest.approx(third.accuracy)


# --- snapshot frames --------------------------------------------------------------------------


def test_snapshot_frames_are_served_one_by_one(alice: Any, bob_api: Any, alice_api: Any) -> None:
    *_, third = three(alice)
    url = f"/api/v1/experiments/{third.pk}/results/2/snapshots/"
    response = alice_api.get(f"{url}3.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.size == (28, 28)
    first = np.asarray(Image.open(io.BytesIO(alice_api.get(f"{url}0.png").content)))
    assert not np.array_equal(first, np.asarray(picture)) or first.std() > 0
    assert alice_api.get(f"{url}4.png").status_code == 404
    assert bob_api.get(f"{url}0.png").status_code == 404
    no_snapshots = f"/api/v1/experiments/{third.pk - 1}/results/0/snapshots/0.png"
    assert alice_api.get(no_snapshots).status_code == 404


def test_a_real_run_with_snapshots_can_be_scrubbed(alice: Any, alice_api: Any) -> None:
    config = {
        "classes": ["box", "line"],
        "epochs": 2,
        "max_steps": 12,
        "seed": 4,
        "snapshot_every": 4,
        "copies": 4,
    }
    experiment = services.experiment_create(user=alice, config=config)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    other = finished_run(alice, seed=9, classes=["box", "circle"])
    data = alice_api.get(COMPARE, {"ids": f"{experiment.pk},{other.pk}"}).json()
    cell = data["classes"][0]["cells"][0]
    frames = np.load(io.BytesIO(bytes(experiment.results.get(position=0).snapshots)))
    assert cell["snapshot_frames"] == len(frames) >= 2
    last = alice_api.get(f"{cell['snapshot_url']}{cell['snapshot_frames'] - 1}.png")
    assert last.status_code == 200
    assert data["classes"][2]["cells"][0] is None  # circle: only the second one trained it


# --- saved comparisons ------------------------------------------------------------------------


def test_save_list_and_delete_a_comparison(alice: Any, alice_api: Any, bob_api: Any) -> None:
    first, second, third = three(alice)
    response = alice_api.post(
        "/api/v1/comparisons/",
        {
            "name": "  Lines with more classes ",
            "experiment_ids": [first.pk, second.pk, third.pk],
            "options": {"base": second.pk, "all": True},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    saved = SavedComparison.objects.get()
    assert saved.owner == alice and saved.name == "Lines with more classes"
    assert saved.experiment_ids == [first.pk, second.pk, third.pk]
    assert saved.options == {"base": second.pk, "all": True}
    assert response.json()["url"] == (
        f"/compare/?ids={first.pk},{second.pk},{third.pk}&all=1&base={second.pk}"
    )
    assert [item["id"] for item in alice_api.get("/api/v1/comparisons/").json()] == [saved.pk]
    assert bob_api.get("/api/v1/comparisons/").json() == []
    assert bob_api.delete(f"/api/v1/comparisons/{saved.pk}/").status_code == 404
    assert SavedComparison.objects.filter(pk=saved.pk).exists()
    assert alice_api.delete(f"/api/v1/comparisons/{saved.pk}/").status_code == 204
    assert not SavedComparison.objects.exists()
    assert Experiment.objects.filter(owner=alice).count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "experiment_ids": "own"}, "name"),
        ({"name": "x", "experiment_ids": "one"}, "experiment_ids"),
        ({"name": "x", "experiment_ids": "bobs"}, "experiment_ids"),
        ({"name": "x", "experiment_ids": ["a", "b"]}, "experiment_ids"),
        ({"name": "x", "experiment_ids": "own", "options": {"base": -5}}, "options"),
        ({"name": "x" * 81, "experiment_ids": "own"}, "name"),
    ],
)
def test_a_bad_saved_comparison_is_a_400_naming_the_field(
    alice: Any, bob: Any, alice_api: Any, body: dict[str, Any], field: str
) -> None:
    first, second, _ = three(alice)
    bobs = finished_run(bob, seed=1, classes=["box", "line"])
    choices = {"own": [first.pk, second.pk], "one": [first.pk], "bobs": [first.pk, bobs.pk]}
    ids = body["experiment_ids"]
    body = {**body, "experiment_ids": choices.get(ids, ids) if isinstance(ids, str) else ids}
    response = alice_api.post("/api/v1/comparisons/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SavedComparison.objects.exists()


# --- the paper's scenarios ---------------------------------------------------------------------


def test_a_scenario_queues_its_runs_with_the_paper_preset(alice: Any, alice_api: Any) -> None:
    response = alice_api.post("/api/v1/scenarios/diversity/")
    assert response.status_code == 201, response.json()
    body = response.json()
    experiments = [Experiment.objects.get(pk=pk) for pk in body["ids"]]
    assert [e.class_keys for e in experiments] == [
        ["line", "line_horizontal"],
        ["line", "line_horizontal", "circle", "circle_hollow"],
        ["line", "line_horizontal", "circle", "circle_hollow", "noise", "noise_blur"],
    ]
    for experiment in experiments:
        assert experiment.status == "queued" and experiment.owner == alice
        assert experiment.model_name == "mlp" and experiment.tags == ["paper-diversity"]
        config = experiment.config
        assert (config["initial_image"], config["step_size"], config["epochs"]) == (
            "black",
            0.005,
            100,
        )
        assert config["optimizer"] == "adadelta" and config["seed"] == body["seed"]
    # The comparison carries the scenario, so its page can say which question it answers.
    assert body["wait_url"] == f"/compare/?ids={','.join(map(str, body['ids']))}&all=0" + (
        f"&base={body['ids'][0]}&scenario=diversity&wait=1"
    )


def test_the_architecture_scenario_is_mlp_then_cnn_on_six_classes(alice_api: Any) -> None:
    body = alice_api.post("/api/v1/scenarios/architectures/").json()
    experiments = [Experiment.objects.get(pk=pk) for pk in body["ids"]]
    assert [e.model_name for e in experiments] == ["mlp", "cnn"]
    assert all(
        e.class_keys == ["box", "line", "circle", "tri", "noise", "noise_blur"] for e in experiments
    )


def test_a_scenario_that_does_not_fit_the_queue_queues_nothing(
    alice: Any, alice_api: Any, settings: Any
) -> None:
    settings.MAX_ACTIVE_EXPERIMENTS = 3
    services.experiment_create(user=alice, config={"classes": ["box", "line"], "epochs": 2})
    response = alice_api.post("/api/v1/scenarios/diversity/")
    assert response.status_code == 429
    assert "3 free places" in response.json()["detail"]
    assert "2 free" in response.json()["detail"]
    assert Experiment.objects.filter(owner=alice).count() == 1
    # The two-run scenario still fits.
    assert alice_api.post("/api/v1/scenarios/architectures/").status_code == 201
    assert Experiment.objects.filter(owner=alice).count() == 3


def test_an_unknown_scenario_is_a_404(alice_api: Any) -> None:
    assert alice_api.post("/api/v1/scenarios/nothing/").status_code == 404
    keys = [item["key"] for item in alice_api.get("/api/v1/scenarios/").json()]
    assert keys == ["diversity", "architectures", "decoy"]


def test_the_diversity_scenario_trains_for_real_and_compares(
    alice: Any, alice_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The queue is synchronous in tests: the three paper-preset runs train on commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post("/api/v1/scenarios/diversity/")
    assert response.status_code == 201
    ids = response.json()["ids"]
    for experiment in Experiment.objects.filter(pk__in=ids):
        assert experiment.status == "done", experiment.error
        assert experiment.training["epochs_run"] == 100
    data = alice_api.get(COMPARE, {"ids": ",".join(map(str, ids))}).json()
    assert [row["key"] for row in data["classes"]] == [
        "line",
        "line_horizontal",
        "circle",
        "circle_hollow",
        "noise",
        "noise_blur",
    ]
    filled = [[cell is not None for cell in row["cells"]] for row in data["classes"]]
    assert filled == [[True] * 3] * 2 + [[False, True, True]] * 2 + [[False, False, True]] * 2
    assert [row["name"] for row in data["settings"]] == ["classes"]
    line = data["classes"][0]["cells"]
    assert all(cell["r"] is None or 0 <= cell["r"] <= 1 for cell in line)


# --- a saved comparison's options ----------------------------------------------------------


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize(
    "options",
    [{"base": True}, {"base": False}, {"base": "1"}, {"base": 1.0}, {"all": "false"}],
)
def test_a_saved_comparisons_base_is_an_id_not_a_bool(
    alice: Any, alice_api: Any, options: dict[str, Any]
) -> None:
    # JSON's true is Python's 1: with experiment 1 compared it passed for that id's column.
    first, second = (finished_run(alice, seed=n, classes=["box", "line"]) for n in (1, 2))
    assert first.pk == 1
    body = {"name": "x", "experiment_ids": [first.pk, second.pk], "options": options}
    response = alice_api.post("/api/v1/comparisons/", body, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["options"]
    assert not SavedComparison.objects.exists()


def test_a_saved_comparisons_options_are_kept_as_given(alice: Any, alice_api: Any) -> None:
    first, second = (finished_run(alice, seed=n, classes=["box", "line"]) for n in (1, 2))
    ids = [first.pk, second.pk]
    for options, kept in (
        ({}, {"base": first.pk, "all": False}),
        ({"base": second.pk, "all": False}, {"base": second.pk, "all": False}),
    ):
        body = {"name": "x", "experiment_ids": ids, "options": options}
        response = alice_api.post("/api/v1/comparisons/", body, format="json")
        assert response.status_code == 201, response.json()
        assert SavedComparison.objects.get(pk=response.json()["id"]).options == kept


def test_a_comparison_saved_with_a_bool_base_still_opens_on_its_first_column(
    alice: Any, alice_api: Any
) -> None:
    first, second = (finished_run(alice, seed=n, classes=["box", "line"]) for n in (1, 2))
    # Stored as the unchecked service once stored it.
    SavedComparison.objects.create(
        owner=alice, name="old", experiment_ids=[first.pk, second.pk], options={"base": True}
    )
    [saved] = alice_api.get("/api/v1/comparisons/").json()
    assert saved["url"] == f"/compare/?ids={first.pk},{second.pk}&all=0&base={first.pk}"


# --- how snapshot frames are drawn -----------------------------------------------------------


def png_pixels(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)))


def test_a_black_start_is_drawn_black_and_later_frames_scaled(alice: Any, alice_api: Any) -> None:
    config = {**TINY_MLP, "max_steps": 12, "snapshot_every": 4, "initial_image": "black"}
    experiment = services.experiment_create(user=alice, config=config)
    assert tasks.train_and_visualize(experiment.pk) == "done"
    frames = np.load(io.BytesIO(bytes(experiment.results.get(position=0).snapshots)))
    assert len(frames) >= 2 and not frames[0].any() and frames[-1].std() > 0
    url = f"/api/v1/experiments/{experiment.pk}/results/0/snapshots/"
    first = png_pixels(alice_api.get(f"{url}0.png").content)
    assert first.shape == (28, 28) and not first.any()  # black, not mid-grey
    last = png_pixels(alice_api.get(f"{url}{len(frames) - 1}.png").content)
    assert (last.min(), last.max()) == (0, 255)  # min-max scaled, as the paper shows images


@pytest.mark.parametrize(
    ("value", "grey"), [(0.0, 0), (0.6, 153), (1.0, 255), (1.5, 255), (-0.2, 0)]
)
def test_a_flat_frame_shows_its_own_value_clamped(value: float, grey: int) -> None:
    from history.api import snapshot_png

    pixels = png_pixels(snapshot_png(np.full((28, 28), value, np.float32)))
    assert pixels.shape == (28, 28) and (pixels == grey).all()


def test_a_saved_comparison_keeps_the_scenario_it_answers(alice: Any, alice_api: Any) -> None:
    first, second = (finished_run(alice, seed=n, classes=["box", "line"]) for n in (1, 2))
    ids = [first.pk, second.pk]
    body = {"name": "x", "experiment_ids": ids, "options": {"scenario": "architectures"}}
    response = alice_api.post("/api/v1/comparisons/", body, format="json")
    assert response.status_code == 201, response.json()
    saved = SavedComparison.objects.get()
    assert saved.options == {"base": first.pk, "all": False, "scenario": "architectures"}
    assert response.json()["url"] == (
        f"/compare/?ids={first.pk},{second.pk}&all=0&base={first.pk}&scenario=architectures"
    )
    for scenario in ("nothing", ["diversity"], 1):
        body = {"name": "x", "experiment_ids": ids, "options": {"scenario": scenario}}
        response = alice_api.post("/api/v1/comparisons/", body, format="json")
        assert response.status_code == 400 and list(response.json()) == ["options"]
    assert SavedComparison.objects.count() == 1
