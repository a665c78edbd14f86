"""The reproduction report: statistics and claims on known numbers, then one tiny real run."""

from __future__ import annotations

import json
import math

import pytest

from models_zoo import reproduce
from models_zoo.cli import main
from models_zoo.config import PRESETS


def record(figure: int, setup: str, seed: int, r: dict[str, float | None]) -> dict:
    model = "mlp" if figure == 1 else setup
    return {
        "figure": figure,
        "setup": setup,
        "model": model,
        "seed": seed,
        "epochs": 100,
        "max_steps": 2000,
        "accuracy": 1.0,
        "val_accuracy": 0.75 if setup == "cnn" else 0.5,
        "r": r,
        "reached": {key: True for key in r},
        "seconds": 0.5,
    }


def synthetic_runs() -> list[dict]:
    """Two seeds. Lines rise 1 < 2 < 3 for seed 0 only; seed 1's setup 3 falls back."""
    lines = {
        # seed: (setup 1, setup 2, setup 3) for "line"; line_horizontal is always increasing.
        0: (0.30, 0.40, 0.50),
        1: (0.30, 0.50, 0.45),
    }
    runs = []
    for seed, (one, two, three) in lines.items():
        runs.append(record(1, "1", seed, {"line": one, "line_horizontal": 0.1}))
        four = {"line": two, "line_horizontal": 0.2, "circle": 0.3, "circle_hollow": 0.3}
        runs.append(record(1, "2", seed, four))
        six = {**four, "line": three, "line_horizontal": 0.3, "noise": 0.0, "noise_blur": None}
        runs.append(record(1, "3", seed, six))
        shapes_mlp = {"box": 0.3, "line": 0.5, "circle": 0.3, "tri": 0.4, "noise": 0.01}
        runs.append(record(2, "mlp", seed, {**shapes_mlp, "noise_blur": 0.02}))
        # The CNN wins on box in both seeds, on line only in seed 1, never on circle;
        # its tri image is constant in seed 0 (r undefined).
        cnn = {
            "box": 0.6,
            "line": 0.4 if seed == 0 else 0.9,
            "circle": 0.2,
            "tri": None if seed == 0 else 0.7,
            "noise": 0.0,
            "noise_blur": 0.0,
        }
        runs.append(record(2, "cnn", seed, cnn))
    return runs


def claim(report: dict, text: str) -> dict:
    (found,) = [c for c in report["claims"] if c["claim"] == text]
    return found


def row(report: dict, figure: int, setup: str, cls: str) -> dict:
    (found,) = [
        r
        for r in report["rows"]
        if r["figure"] == figure and r["setup"] == setup and r["class"] == cls
    ]
    return found


def test_mean_and_sample_sd():
    assert reproduce.mean_sd([]) == (None, None)
    assert reproduce.mean_sd([0.4]) == (0.4, None)
    mean, sd = reproduce.mean_sd([0.2, 0.4, 0.6])
    assert mean == pytest.approx(0.4) and sd == pytest.approx(0.2)


def test_rows_hold_the_papers_value_and_our_statistics():
    report = reproduce.summarise(synthetic_runs())

    assert report["seeds"] == [0, 1]
    line2 = row(report, 1, "2", "line")
    assert line2["paper"] == 0.52
    assert line2["values"] == [0.40, 0.50]
    assert line2["mean"] == pytest.approx(0.45)
    assert line2["sd"] == pytest.approx(math.sqrt(0.005))
    assert row(report, 2, "cnn", "line")["paper"] == 0.93
    # An undefined r is left out of the statistics and counted.
    blur = row(report, 1, "3", "noise_blur")
    assert blur["n"] == 0 and blur["undefined"] == 2 and blur["mean"] is None
    tri = row(report, 2, "cnn", "tri")
    assert tri["n"] == 1 and tri["mean"] == pytest.approx(0.7) and tri["undefined"] == 1
    assert [r["class"] for r in report["rows"] if r["setup"] == "1"] == [
        "line",
        "line_horizontal",
    ]
    assert [(s["setup"], s["images"]) for s in report["setups"]] == [
        ("1", 4),
        ("2", 8),
        ("3", 12),
        ("mlp", 12),
        ("cnn", 12),
    ]


def test_claims_hold_on_the_means_and_per_seed():
    report = reproduce.summarise(synthetic_runs())

    assert [c["claim"] for c in report["claims"]] == [
        "line: setup 1 < 2 < 3",
        "line_horizontal: setup 1 < 2 < 3",
        "box: MLP < CNN",
        "line: MLP < CNN",
        "circle: MLP < CNN",
        "tri: MLP < CNN",
    ]
    line = claim(report, "line: setup 1 < 2 < 3")
    # Means 0.30 < 0.45 < 0.475 rise, but only seed 0 rises step by step.
    assert line["means"] == pytest.approx([0.30, 0.45, 0.475])
    assert line["holds"] is True
    assert (line["seeds_holding"], line["seeds"], line["share"]) == (1, 2, 0.5)
    assert line["paper"] == [0.39, 0.52, 0.59] and line["paper_holds"] is True
    assert claim(report, "line_horizontal: setup 1 < 2 < 3")["share"] == 1.0

    assert claim(report, "box: MLP < CNN")["holds"] is True
    assert claim(report, "box: MLP < CNN")["share"] == 1.0
    cnn_line = claim(report, "line: MLP < CNN")  # means 0.5 < 0.65, seed 1 only
    assert cnn_line["holds"] is True and cnn_line["seeds_holding"] == 1
    circle = claim(report, "circle: MLP < CNN")
    assert circle["holds"] is False and circle["seeds_holding"] == 0
    # A constant image (r undefined) does not count in a claim's favour.
    tri = claim(report, "tri: MLP < CNN")
    assert tri["holds"] is True and (tri["seeds_holding"], tri["seeds"]) == (1, 2)


def test_claims_need_both_sides():
    runs = [run for run in synthetic_runs() if run["setup"] != "cnn"]
    report = reproduce.summarise(runs)
    assert [c["claim"] for c in report["claims"]] == [
        "line: setup 1 < 2 < 3",
        "line_horizontal: setup 1 < 2 < 3",
    ]


def test_text_report_shows_paper_ours_and_claims():
    text = reproduce.format_report(reproduce.summarise(synthetic_runs()))

    assert "2 seeds (0 to 1)" in text
    assert "0.45 ± 0.07" in text  # setup 2, line
    assert "undefined in all 2 runs" in text  # noise_blur of setup 3
    assert "0.70 ± — (1 undefined)" in text  # the CNN's tri
    assert "line: setup 1 < 2 < 3" in text
    (line,) = [ln for ln in text.splitlines() if ln.startswith("circle: MLP < CNN")]
    assert "0.38 < 0.70" in line and "0.30 < 0.20" in line and " no " in line
    assert line.rstrip().endswith("0/2 (0%)")


def test_validation_accuracy_and_the_stop_rule_are_reported():
    report = reproduce.summarise(synthetic_runs())
    cnn = next(s for s in report["setups"] if s["setup"] == "cnn")
    assert cnn["val_accuracy_mean"] == 0.75 and cnn["val_accuracy_min"] == 0.75
    assert report["settings"]["threshold_variant"] == "2017"
    text = reproduce.format_report(report)
    (line,) = [ln for ln in text.splitlines() if ln.startswith("figure 2, CNN")]
    assert line.split() == ["figure", "2,", "CNN", "1.000", "1.000", "0.750", "0.750", "12/12"]
    assert "Stop rule 2017 (stop at p > 0.99); max-pool gradient shared" in text

    runs = [{**run, "threshold_variant": "2016", "threshold": 0.999} for run in synthetic_runs()]
    text = reproduce.format_report(reproduce.summarise(runs))
    assert "Stop rule 2016 (stop at p > 0.999 plus one update)" in text
    assert "images reaching p > 0.999" in text


def test_the_variants_set_threshold_and_pool_gradient():
    cnn = reproduce.model_setup("cnn")
    assert reproduce.run_config(cnn, 0).threshold == 0.99
    assert reproduce.run_config(cnn, 0).pool_gradient == "shared"
    late = reproduce.run_config(cnn, 0, threshold_variant="2016", pool_gradient="single")
    assert late.threshold == 0.999 and late.pool_gradient == "single"
    with pytest.raises(ValueError, match="threshold variant"):
        reproduce.run_config(cnn, 0, threshold_variant="2015")
    with pytest.raises(ValueError, match="pool_gradient"):
        reproduce.run_config(cnn, 0, pool_gradient="split")


def test_setups_follow_the_papers_figures():
    everything = reproduce.setups(["mlp", "cnn"])
    assert [(s.figure, s.name) for s in everything] == [
        (1, "1"),
        (1, "2"),
        (1, "3"),
        (2, "mlp"),
        (2, "cnn"),
    ]
    assert everything[2].classes == (
        "line",
        "line_horizontal",
        "circle",
        "circle_hollow",
        "noise",
        "noise_blur",
    )
    # Figure 1 is an MLP figure: without the MLP only figure 2's rows remain.
    assert [s.name for s in reproduce.setups(["cnn"])] == ["cnn"]
    config = reproduce.run_config(everything[4], seed=7)
    paper = PRESETS["paper"]
    assert config.model == "cnn" and config.seed == 7 and config.epochs == 100
    for key in ("initial_image", "step_size", "optimizer", "batch_size", "objective"):
        assert getattr(config, key) == paper[key]


def test_reproduce_command_runs_for_real(tmp_path, capsys):
    """Two seeds of figure 1 and the MLP of figure 2, trained for 2 epochs each."""
    argv = ["reproduce", "--seeds", "2", "--models", "mlp", "--epochs", "2"]
    assert main([*argv, "--max-steps", "10", "--json", "--quiet"]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["seeds"] == [0, 1]
    assert report["settings"]["epochs"] == 2
    assert report["settings"]["pool_gradient"] == "shared"
    for setup in report["setups"]:
        assert 0.0 <= setup["val_accuracy_mean"] <= 1.0
    assert [s["setup"] for s in report["setups"]] == ["1", "2", "3", "mlp"]
    assert len(report["rows"]) == 2 + 4 + 6 + 6
    for entry in report["rows"]:
        assert len(entry["values"]) == 2
        defined = [v for v in entry["values"] if v is not None]
        assert all(0.0 <= v <= 1.0 for v in defined)
        if defined:
            assert entry["mean"] == pytest.approx(sum(defined) / len(defined))
    # Figure 1's claims are evaluated; figure 2's need the CNN, which was not run.
    assert [c["claim"] for c in report["claims"]] == [
        "line: setup 1 < 2 < 3",
        "line_horizontal: setup 1 < 2 < 3",
    ]
    for entry in report["claims"]:
        assert entry["seeds"] == 2 and 0 <= entry["seeds_holding"] <= 2
        assert entry["holds"] == (entry["means"][0] < entry["means"][1] < entry["means"][2])

    # Each reproduction run is an ordinary run: the same seed gives the same numbers.
    out = tmp_path / "seed0"
    run_argv = ["run", "--classes", "line,line_horizontal", "--seed", "0", "--epochs", "2"]
    assert main([*run_argv, "--max-steps", "10", "--quiet", "--out", str(out)]) == 0
    single = json.loads((out / "result.json").read_text())
    for outcome in single["classes"]:
        assert row(report, 1, "1", outcome["key"])["values"][0] == outcome["r"]
