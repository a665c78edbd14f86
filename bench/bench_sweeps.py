"""A seed group trained together against its runs made one after another (run by hand).

    .venv/bin/python bench/bench_sweeps.py [--repeats 3] [--models mlp,cnn] [--seeds 10]

The paper preset on figure 2's six classes, ``--seeds`` seeds, in one warm process: every
graph is traced once before timing. Each repeat times the runs one after another through
``pipeline.run`` and the same runs through ``sweep.run_group``, in turns, so both see the
same load; the table shows the medians, their ratio, the spread of the ratio, and the
load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ("box", "line", "circle", "tri", "noise", "noise_blur")
TARGETS = {"mlp": 0.35, "cnn": 0.6}


def configs(model: str, first_seed: int, count: int) -> list:
    from models_zoo import PRESETS
    from models_zoo.config import RunConfig

    base = RunConfig.from_dict({**PRESETS["paper"], "classes": CLASSES, "model": model})
    return [base.replace(seed=first_seed + i) for i in range(count)]


def sequential(members: list) -> float:
    from models_zoo.pipeline import run

    began = time.perf_counter()
    for config in members:
        run(config)
    return time.perf_counter() - began


def together(members: list) -> float:
    from models_zoo.classes import resolve
    from models_zoo.sweep import run_group

    began = time.perf_counter()
    run_group(members, resolve(CLASSES))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = []
    for model in args.models.split(","):
        # Warm: trace the lone run's and the group's graphs on other seeds first.
        sequential(configs(model, 1000, 1))
        together(configs(model, 1000, args.seeds))
        alone, stacked = [], []
        for repeat in range(args.repeats):
            members = configs(model, 100 * repeat, args.seeds)
            alone.append(sequential(members))
            stacked.append(together(members))
        ratios = sorted(s / a for s, a in zip(stacked, alone, strict=True))
        rows.append((model, statistics.median(alone), statistics.median(stacked), ratios))
    load_after = os.getloadavg()[0]
    load = f"load average {load_before:.1f} -> {load_after:.1f}"
    print(f"{args.seeds} seeds, median of {args.repeats}; {load}")
    print(f"{'model':6} {'one by one':>11} {'together':>9} {'ratio':>6} {'target':>7}  ratios")
    for model, alone_s, stacked_s, ratios in rows:
        shown = " ".join(f"{r:.2f}" for r in ratios)
        target = TARGETS.get(model)
        aim = f"<={target:.2f}" if target else ""
        ratio = stacked_s / alone_s
        print(f"{model:6} {alone_s:10.2f}s {stacked_s:8.2f}s {ratio:5.2f}x {aim:>7}  {shown}")


if __name__ == "__main__":
    main()
