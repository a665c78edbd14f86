"""Reproducing the paper's two figures over many seeds, and testing the claims behind them.

The paper reports one run per setting, with no seed and no variance. Here every setup runs
once per seed with the paper preset (MLP or CNN, black initial image, step 0.005, 100
epochs, Adadelta, batch 4), and the report gives, per class, the paper's |r| beside our
mean ± sd, and for each claim whether it holds on the means and in what share of seeds
(compared seed by seed: the same seed in every setup).

Two options choose between the prototype's states: ``pool_gradient`` (the paper preset's
``"shared"``, Theano's rule, or TensorFlow's ``"single"``) and the stop rule, ``"2017"`` (the
final prototype's p > 0.99) or ``"2016"`` (the runs behind the paper: p > 0.999 checked on
the image before the update, which is applied all the same).

:func:`collect` trains (TensorFlow inside); :func:`summarise` and :func:`format_report`
are plain functions of the collected numbers.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from models_zoo.config import CHOICES, PRESETS, RunConfig


@dataclass(frozen=True)
class Setup:
    """One column group of a paper figure: a model trained on a list of classes."""

    figure: int
    name: str
    model: str
    classes: tuple[str, ...]
    paper: dict[str, float]


# The paper's figures, as printed (single runs; MLP, black, step 0.005, 100 epochs).
DIVERSITY = (
    Setup(1, "1", "mlp", ("line", "line_horizontal"), {"line": 0.39, "line_horizontal": 0.39}),
    Setup(
        1,
        "2",
        "mlp",
        ("line", "line_horizontal", "circle", "circle_hollow"),
        {"line": 0.52, "line_horizontal": 0.53, "circle": 0.38, "circle_hollow": 0.39},
    ),
    Setup(
        1,
        "3",
        "mlp",
        ("line", "line_horizontal", "circle", "circle_hollow", "noise", "noise_blur"),
        {
            "line": 0.59,
            "line_horizontal": 0.57,
            "circle": 0.36,
            "circle_hollow": 0.46,
            "noise": 0.01,
            "noise_blur": 0.02,
        },
    ),
)
MODEL_CLASSES = ("box", "line", "circle", "tri", "noise", "noise_blur")
PAPER_MODELS: dict[str, dict[str, float]] = {
    "mlp": {
        "box": 0.38,
        "line": 0.57,
        "circle": 0.38,
        "tri": 0.48,
        "noise": 0.04,
        "noise_blur": 0.01,
    },
    "cnn": {
        "box": 0.64,
        "line": 0.93,
        "circle": 0.70,
        "tri": 0.76,
        "noise": 0.03,
        "noise_blur": 0.00,
    },
}
FIGURE_TITLES = {
    1: "Figure 1: MLP, more diverse classes (setup 1: lines; 2: + circles; 3: + noise)",
    2: "Figure 2: MLP vs CNN on box, line, circle, tri, noise, noise_blur",
}

# The stop rule: the threshold, and whether one more update follows the first image past it.
THRESHOLD_VARIANTS: dict[str, tuple[float, bool]] = {"2017": (0.99, False), "2016": (0.999, True)}
POOL_GRADIENTS = CHOICES["pool_gradient"]

# The claims: line classes' |r| rises with class diversity; the CNN beats the MLP on shapes.
DIVERSITY_CLAIM_CLASSES = ("line", "line_horizontal")
MODEL_CLAIM_CLASSES = ("box", "line", "circle", "tri")


def model_setup(model: str) -> Setup:
    return Setup(2, model, model, MODEL_CLASSES, PAPER_MODELS.get(model, {}))


def setups(models: Sequence[str]) -> list[Setup]:
    """Figure 1 needs the MLP; figure 2 gets one setup per model asked for."""
    chosen = list(DIVERSITY) if "mlp" in models else []
    return chosen + [model_setup(model) for model in models]


def run_config(
    setup: Setup,
    seed: int,
    epochs: int = 100,
    max_steps: int = 2000,
    *,
    threshold_variant: str = "2017",
    pool_gradient: str | None = None,
) -> RunConfig:
    """The paper preset for one setup and seed (``epochs`` is lowered only by tests)."""
    if threshold_variant not in THRESHOLD_VARIANTS:
        raise ValueError(f"unknown threshold variant {threshold_variant!r}")
    settings = {
        **PRESETS["paper"],
        "classes": list(setup.classes),
        "model": setup.model,
        "seed": seed,
        "epochs": epochs,
        "max_steps": max_steps,
        "threshold": THRESHOLD_VARIANTS[threshold_variant][0],
    }
    if pool_gradient is not None:
        settings["pool_gradient"] = pool_gradient
    return RunConfig.from_dict(settings)


def _one_more_step(result: Any) -> dict[str, float | None]:
    """|r| per class after the 2016 prototype's extra update, applied to each image that
    reached the threshold (an image that hit the cap stays as it was)."""
    import numpy as np

    from models_zoo.generation import one_more_step
    from models_zoo.metrics import abs_pearson

    outcomes = result.classes
    moved = [i for i, outcome in enumerate(outcomes) if outcome.reached]
    images = [outcome.image for outcome in outcomes]
    if moved:
        stepped = one_more_step(
            result.model, len(outcomes), result.config, np.stack([images[i] for i in moved]), moved
        )
        for row, i in enumerate(moved):
            images[i] = stepped[row]
    return {
        o.key: abs_pearson(o.template, image) for o, image in zip(outcomes, images, strict=True)
    }


def add_variant_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``reproduce`` command's options for the prototype's states."""
    parser.add_argument(
        "--threshold-variant",
        default="2017",
        help="stop rule: 2017 (p > 0.99, the prototype's last) or 2016 (p > 0.999 checked "
        "before the update, which is still applied: the runs behind the paper)",
    )
    parser.add_argument(
        "--pool-gradient",
        default=None,
        help="max-pool gradient in image generation: shared among tied maxima (the paper "
        "preset, as the Theano-era prototype) or single (TensorFlow's own rule)",
    )


def variant_choices(args: argparse.Namespace) -> list[tuple[str, Any, tuple[str, ...]]]:
    """(field, value given, allowed values) of the variant options, for checking."""
    pool = args.pool_gradient
    return [
        ("threshold_variant", args.threshold_variant, tuple(THRESHOLD_VARIANTS)),
        ("pool_gradient", POOL_GRADIENTS[0] if pool is None else pool, POOL_GRADIENTS),
    ]


RunCallback = Callable[[int, int, dict[str, Any]], None]


def collect(
    seeds: Sequence[int],
    models: Sequence[str] = ("mlp", "cnn"),
    *,
    epochs: int = 100,
    max_steps: int = 2000,
    threshold_variant: str = "2017",
    pool_gradient: str | None = None,
    on_run: RunCallback | None = None,
) -> list[dict[str, Any]]:
    """Runs every setup for every seed; one record per run with its |r| per class."""
    from models_zoo import pipeline

    jobs = [(setup, seed) for seed in seeds for setup in setups(models)]
    runs = []
    extra_step = THRESHOLD_VARIANTS[threshold_variant][1]
    for index, (setup, seed) in enumerate(jobs, start=1):
        config = run_config(
            setup,
            seed,
            epochs,
            max_steps,
            threshold_variant=threshold_variant,
            pool_gradient=pool_gradient,
        )
        started = time.perf_counter()
        result = pipeline.run(config)
        r = {outcome.key: outcome.r for outcome in result.classes}
        record = {
            "figure": setup.figure,
            "setup": setup.name,
            "model": setup.model,
            "seed": seed,
            "epochs": epochs,
            "max_steps": max_steps,
            "threshold_variant": threshold_variant,
            "pool_gradient": config.pool_gradient,
            "threshold": config.threshold,
            "accuracy": result.training.accuracy,
            "val_accuracy": result.training.val_accuracy,
            "r": _one_more_step(result) if extra_step else r,
            "reached": {outcome.key: outcome.reached for outcome in result.classes},
            "seconds": time.perf_counter() - started,
        }
        runs.append(record)
        if on_run is not None:
            on_run(index, len(jobs), record)
    return runs


def print_progress(stream: TextIO) -> RunCallback:
    def report(index: int, total: int, record: dict[str, Any]) -> None:
        what = f"figure {record['figure']} setup {record['setup']}"
        stream.write(
            f"[{index}/{total}] seed {record['seed']}, {what} ({record['model']}): "
            f"{record['seconds']:.1f} s\n"
        )
        stream.flush()

    return report


def mean_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (``None`` where there are too few values)."""
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    variance = sum((value - mean) ** 2 for value in values) / (len(values) - 1)
    return mean, math.sqrt(variance)


def _increasing(values: Sequence[float | None]) -> bool:
    """Strictly increasing; an undefined r (constant image) never supports a claim."""
    if any(value is None for value in values):
        return False
    numbers = [float(value) for value in values if value is not None]
    return all(a < b for a, b in itertools.pairwise(numbers))


def _defined_mean(per_seed: dict[int, float | None]) -> float | None:
    return mean_sd([value for value in per_seed.values() if value is not None])[0]


def _claim(
    text: str,
    cls: str,
    figure: int,
    chain: Sequence[tuple[str, dict[int, float | None], float | None]],
) -> dict[str, Any]:
    """A claim that ``chain`` (label, r per seed, paper value) increases left to right."""
    seeds = sorted(set.intersection(*(set(per_seed) for _, per_seed, _ in chain)))
    holding = [seed for seed in seeds if _increasing([c[1][seed] for c in chain])]
    means = [
        mean_sd([v for v in per_seed.values() if v is not None])[0] for _, per_seed, _ in chain
    ]
    paper = [value for _, _, value in chain]
    return {
        "claim": text,
        "figure": figure,
        "class": cls,
        "order": [label for label, _, _ in chain],
        "paper": paper,
        "paper_holds": None if None in paper else _increasing(paper),
        "means": means,
        "holds": None if None in means else _increasing(means),
        "seeds": len(seeds),
        "seeds_holding": len(holding),
        "share": len(holding) / len(seeds) if seeds else None,
    }


def summarise(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The reproduction report: per-class statistics, accuracies, and the claims."""
    by_setup: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for record in runs:
        by_setup.setdefault((record["figure"], record["setup"]), []).append(record)
    paper = {(s.figure, s.name): s for s in DIVERSITY}
    rows = []
    setups_out = []
    r_by: dict[tuple[int, str, str], dict[int, float | None]] = {}
    for (figure, name), records in sorted(by_setup.items(), key=_setup_order):
        setup = paper.get((figure, name)) or model_setup(records[0]["model"])
        classes = list(records[0]["r"])
        for cls in classes:
            per_seed = {record["seed"]: record["r"][cls] for record in records}
            r_by[(figure, name, cls)] = per_seed
            defined = [value for value in per_seed.values() if value is not None]
            mean, sd = mean_sd(defined)
            rows.append(
                {
                    "figure": figure,
                    "setup": name,
                    "model": records[0]["model"],
                    "class": cls,
                    "paper": setup.paper.get(cls),
                    "mean": mean,
                    "sd": sd,
                    "n": len(defined),
                    "undefined": len(per_seed) - len(defined),
                    "values": [per_seed[seed] for seed in sorted(per_seed)],
                }
            )
        accuracies = [record["accuracy"] for record in records]
        validation = [
            v for v in (record.get("val_accuracy") for record in records) if v is not None
        ]
        reached = [ok for record in records for ok in record["reached"].values()]
        setups_out.append(
            {
                "figure": figure,
                "setup": name,
                "model": records[0]["model"],
                "runs": len(records),
                "accuracy_mean": mean_sd(accuracies)[0],
                "accuracy_min": min(accuracies),
                "val_accuracy_mean": mean_sd(validation)[0],
                "val_accuracy_min": min(validation) if validation else None,
                "images": len(reached),
                "images_reached": sum(reached),
            }
        )
    claims = []
    for cls in DIVERSITY_CLAIM_CLASSES:
        keys = [(1, name, cls) for name in ("1", "2", "3")]
        if all(key in r_by for key in keys):
            chain = [(f"setup {k[1]}", r_by[k], paper[(1, k[1])].paper.get(cls)) for k in keys]
            claims.append(_claim(f"{cls}: setup 1 < 2 < 3", cls, 1, chain))
    for cls in MODEL_CLAIM_CLASSES:
        keys = [(2, "mlp", cls), (2, "cnn", cls)]
        if all(key in r_by for key in keys):
            chain = [(k[1], r_by[k], PAPER_MODELS[k[1]].get(cls)) for k in keys]
            claims.append(_claim(f"{cls}: MLP < CNN", cls, 2, chain))
    seeds = sorted({record["seed"] for record in runs})
    first = runs[0] if runs else {}
    settings = {key: first.get(key) for key in ("epochs", "max_steps")} | {
        "threshold_variant": first.get("threshold_variant", "2017"),
        "threshold": first.get("threshold", THRESHOLD_VARIANTS["2017"][0]),
        "pool_gradient": first.get("pool_gradient", POOL_GRADIENTS[0]),
        "initial_image": "black",
        "step_size": 0.005,
        "optimizer": "adadelta",
        "batch_size": 4,
    }
    return {
        "seeds": seeds,
        "settings": settings,
        "setups": setups_out,
        "rows": rows,
        "claims": claims,
        "seconds": sum(record.get("seconds", 0.0) for record in runs),
    }


def _setup_order(item: tuple[tuple[int, str], Any]) -> tuple[int, int, str]:
    (figure, name), _ = item
    rank = {"1": 0, "2": 1, "3": 2, "mlp": 0, "cnn": 1}.get(name, 9)
    return figure, rank, name


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _mean_sd_text(row: dict[str, Any]) -> str:
    if row["mean"] is None:
        return f"undefined in all {row['undefined']} runs"
    text = f"{row['mean']:.2f}"
    text += " ± " + ("—" if row["sd"] is None else f"{row['sd']:.2f}")
    if row["undefined"]:
        text += f" ({row['undefined']} undefined)"
    return text


def _seed_range(seeds: Sequence[int]) -> str:
    if not seeds:
        return "none"
    if list(seeds) == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1:
        return f"{seeds[0]} to {seeds[-1]}"
    return ", ".join(str(seed) for seed in seeds)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = ["  ".join(f"{cell:<{width}}" for cell, width in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    for row in rows:
        lines.append("  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)).rstrip())
    return [line.rstrip() for line in lines]


def format_report(report: dict[str, Any]) -> str:
    """The report as plain-text tables (what ``reproduce`` prints without ``--json``)."""
    settings = report["settings"]
    seeds = report["seeds"]
    threshold = _num(settings.get("threshold", 0.99), 3).rstrip("0")
    variant = settings.get("threshold_variant", "2017")
    stop = f"stop at p > {threshold}" + (" plus one update" if variant == "2016" else "")
    pool = settings.get("pool_gradient", POOL_GRADIENTS[0])
    lines = [
        f"Paper preset: black initial image, step 0.005, {settings['epochs']} epochs, "
        f"Adadelta, batch 4, cap {settings['max_steps']} steps; "
        f"{len(seeds)} seeds ({_seed_range(seeds)})",
        f"Stop rule {variant} ({stop}); max-pool gradient {pool}",
        "|r| per class: the paper's single run, and ours as mean ± sd over the seeds",
    ]
    for figure in (1, 2):
        rows = [row for row in report["rows"] if row["figure"] == figure]
        if not rows:
            continue
        lines += ["", FIGURE_TITLES[figure]]
        cells = []
        previous = None
        for row in rows:
            label = f"setup {row['setup']}" if figure == 1 else row["model"].upper()
            cells.append(
                [
                    label if label != previous else "",
                    row["class"],
                    _num(row["paper"]),
                    _mean_sd_text(row),
                ]
            )
            previous = label
        lines += _table(["setup" if figure == 1 else "model", "class", "paper", "ours"], cells)
    lines += ["", "Accuracy (training, validation) and image generation"]
    cells = []
    for setup in report["setups"]:
        label = f"figure {setup['figure']}, " + (
            f"setup {setup['setup']}" if setup["figure"] == 1 else setup["model"].upper()
        )
        cells.append(
            [
                label,
                f"{setup['accuracy_mean']:.3f}",
                f"{setup['accuracy_min']:.3f}",
                _num(setup.get("val_accuracy_mean"), 3),
                _num(setup.get("val_accuracy_min"), 3),
                f"{setup['images_reached']}/{setup['images']}",
            ]
        )
    header = ["run", "training (mean)", "lowest", "validation (mean)", "lowest"]
    lines += _table([*header, f"images reaching p > {threshold}"], cells)
    if report["claims"]:
        lines += ["", "The paper's claims"]
        cells = []
        for claim in report["claims"]:
            sign = " < "
            holds = {True: "yes", False: "no", None: "—"}[claim["holds"]]
            share = claim["share"]
            cells.append(
                [
                    claim["claim"],
                    sign.join(_num(value) for value in claim["paper"]),
                    sign.join(_num(value) for value in claim["means"]),
                    holds,
                    f"{claim['seeds_holding']}/{claim['seeds']}"
                    + ("" if share is None else f" ({share:.0%})"),
                ]
            )
        lines += _table(
            ["claim", "paper", "ours (means)", "holds on means", "seeds where it holds"], cells
        )
    return "\n".join(lines)
