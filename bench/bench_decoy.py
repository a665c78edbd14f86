"""The decoy digits table, timed: 4 methods x 3 seeds with the MLP (run by hand)

    .venv/bin/python bench/bench_decoy.py [--seeds 3] [--model mlp] [--epochs N]
        [--validation SHARE] [--json]

Runs what ``python -m models_zoo decoy`` runs (plain, penalty, augmentation and clean
training, each a whole ``pipeline.run`` with image generation), in one process, and prints
the table with the figures that matter for its cost: the wall-clock time of the whole
table against its budget of 10 minutes on two cores, the time of each run, and the
machine's load average before and after (this machine is often shared, which slows every
figure). The whole table's time includes importing TensorFlow and loading the digits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models_zoo import decoy

BUDGET_SECONDS = 600.0


def load_average() -> float:
    return os.getloadavg()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--epochs", type=int, default=decoy.DECOY_EPOCHS)
    parser.add_argument("--validation", type=float, default=decoy.DECOY_VALIDATION_SPLIT)
    parser.add_argument("--lam", type=float, default=decoy.DECOY_LAMBDA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    plan = decoy.Plan(
        model=args.model,
        seeds=tuple(range(args.seeds)),
        highlight_lambda=args.lam,
        epochs=args.epochs,
        validation_split=args.validation,
    )
    load_before = load_average()
    began = time.perf_counter()
    records = decoy.collect(plan, on_run=decoy.print_progress(sys.stderr))
    wall = time.perf_counter() - began
    load_after = load_average()
    report = decoy.summarise(records, plan)
    timing: dict[str, Any] = {
        "wall_seconds": wall,
        "budget_seconds": BUDGET_SECONDS,
        "within_budget": wall <= BUDGET_SECONDS,
        "runs": len(records),
        "run_seconds": [record["seconds"] for record in records],
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_after,
    }
    if args.json:
        print(json.dumps({"report": report, "timing": timing}, indent=2))
        return 0
    print(decoy.format_report(report))
    print()
    runs = timing["run_seconds"]
    print(
        f"whole table: {wall:.0f} s for {len(records)} runs (budget {BUDGET_SECONDS:.0f} s: "
        f"{'within' if timing['within_budget'] else 'OVER'}; TensorFlow's import and the "
        f"digits' loading included); a run {sum(runs) / len(runs):.1f} s on average "
        f"(training, image generation, measures), {min(runs):.1f} to {max(runs):.1f} s"
    )
    print(
        f"{timing['cpu_count']} CPUs, load average {load_before:.1f} before, {load_after:.1f} after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
