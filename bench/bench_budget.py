"""The step costs behind a run's compute budget, measured (run by hand, not by the tests).

    .venv/bin/python bench/bench_budget.py [--models mlp,cnn,cnn_deep]

For each model it times training at two batch sizes and image generation for two numbers of
classes (the generation runs to its cap: the threshold is set out of reach), solves for the
fixed and per-image (per-class) costs, and prints them beside the ones in
``models_zoo/budget.py``, with the estimate and the measured time of a paper-preset run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIX = ("box", "line", "circle", "tri", "noise", "noise_blur")


def timed(model: str, **settings: object) -> dict[str, float]:
    from models_zoo.config import RunConfig
    from models_zoo.pipeline import run

    config = RunConfig(model=model, seed=1, **settings)  # type: ignore[arg-type]
    return dict(run(config).timings)


def measure(model: str) -> tuple[list[float], float, float]:
    from models_zoo.budget import training_images
    from models_zoo.config import RunConfig

    timed(model, classes=SIX[:2], epochs=1, max_steps=5)  # warm-up: import and tracing
    epochs, steps = 10, 100
    costs = []
    per_step = {}
    for batch in (4, 32):
        result = timed(model, classes=SIX, epochs=epochs, batch_size=batch, max_steps=1)
        config = RunConfig(classes=SIX, model=model, epochs=epochs, batch_size=batch)
        images = training_images(config)
        per_step[batch] = result["train_s"] / (epochs * -(-images // batch))
    per_image = (per_step[32] - per_step[4]) / 28
    costs += [max(per_step[4] - 4 * per_image, 0.0), per_image]
    per_class = {}
    for count in (2, 6):
        result = timed(model, classes=SIX[:count], epochs=1, max_steps=steps, threshold=0.999999)
        per_class[count] = result["visualize_s"] / steps
    generate_per_class = (per_class[6] - per_class[2]) / 4
    costs += [max(per_class[2] - 2 * generate_per_class, 0.0), generate_per_class]
    paper = timed(model, classes=SIX)
    measured = paper["train_s"] + paper["visualize_s"] + paper.get("build_s", 0.0)
    from models_zoo.budget import estimate_seconds

    return costs, estimate_seconds(RunConfig(classes=SIX, model=model)), measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn,cnn_deep")
    args = parser.parse_args()
    from models_zoo.budget import COSTS

    names = ("train_fixed", "train_per_image", "generate_fixed", "generate_per_class")
    for model in args.models.split(","):
        costs, estimate, measured = measure(model)
        known = COSTS.get(model)
        print(f"{model}:")
        for name, value in zip(names, costs, strict=True):
            stated = f"{getattr(known, name):.1e}" if known else "-"
            print(f"  {name:<20} measured {value:.1e} s   in budget.py {stated} s")
        print(f"  paper preset: estimated {estimate:.1f} s, measured {measured:.1f} s")


if __name__ == "__main__":
    main()
