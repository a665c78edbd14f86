"""Does highlighting stop a model from leaning on a spurious marker? (run by hand)

    .venv/bin/python bench/bench_highlight.py [--seeds 10] [--model mlp] [--json]

Scenario: four classes (box, circle, tri, line), the paper's preset otherwise. Every training
image of the box carries a 3x3 marker in its top-left corner, which no other class has. The
same runs are made three ways, with the same seeds:

- ``none``: the marker is not highlighted;
- ``rrr``: the 5x5 corner around it is painted red and trained with the "right for the right
  reasons" penalty (lambda from the run's configuration, default 10);
- ``augment``: the same red region, with counterfactual copies whose red pixels are erased.

Reported (mean ± sd over seeds): training accuracy; the probability the model gives the box
class for a clean box without the marker; training time; the marker region's share of the
generated box image's energy and of the saliency at the clean box; |r| of the generated box
image against the clean box.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models_zoo import shapes
from models_zoo.classes import ClassSpec, resolve
from models_zoo.config import RunConfig
from models_zoo.highlight import energy_share, region_share, saliency_maps
from models_zoo.metrics import abs_pearson

KEYS = ("box", "circle", "tri", "line")
MARKER = (slice(1, 4), slice(1, 4))
RED = np.zeros((28, 28), np.float32)
RED[0:5, 0:5] = 1.0


def classes(highlighted: bool) -> list[ClassSpec]:
    marked = shapes.image("box").copy()
    marked[MARKER] = 1.0
    box = ClassSpec(key="box", name="Box", image=marked, irrelevant=RED if highlighted else None)
    return [box, *resolve(KEYS[1:])]


def one_run(method: str, seed: int, model: str, lam: float) -> dict[str, float]:
    from models_zoo.pipeline import run
    from models_zoo.tf_env import tf

    config = RunConfig(classes=KEYS, model=model, seed=seed, highlight=method, highlight_lambda=lam)
    began = time.perf_counter()
    result = run(config, classes(method != "none"))
    elapsed = time.perf_counter() - began
    clean = shapes.image("box")
    probability = tf.nn.softmax(result.model(clean.reshape(1, 28, 28, 1), training=False))
    generated = result.classes[0].image
    saliency = saliency_maps(result.model, clean[np.newaxis], [0])[0]
    return {
        "accuracy": float(result.training.accuracy or 0.0),
        "p_clean_box": float(probability[0, 0]),
        "train_s": result.timings["train_s"],
        "total_s": elapsed,
        "marker_energy": energy_share(generated, RED) or 0.0,
        "marker_saliency": region_share(saliency, RED) or 0.0,
        "r_clean_box": abs_pearson(clean, generated) or 0.0,
    }


def summarise(values: list[float]) -> str:
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.3f} ± {sd:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--lam", type=float, default=RunConfig(classes=KEYS).highlight_lambda)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    one_run("none", 0, args.model, args.lam)  # warm-up: first-use costs of TensorFlow
    results: dict[str, list[dict[str, float]]] = {"none": [], "rrr": [], "augment": []}
    for seed in range(args.seeds):
        for method in results:
            results[method].append(one_run(method, seed, args.model, args.lam))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    columns = list(results["none"][0])
    print(f"{args.model}, {args.seeds} seeds, lambda {args.lam:g}; mean ± sd")
    print("| method | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for method, rows in results.items():
        cells = [summarise([row[c] for row in rows]) for c in columns]
        print(f"| {method} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
