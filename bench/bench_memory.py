"""A worker's peak memory for one run and for sweep groups of digit runs (run by hand).

    .venv/bin/python bench/bench_memory.py [--models mlp,cnn] [--members 1,5,10,20] [--epochs 10]

Each figure comes from a process of its own: it trains and visualizes ``--members`` runs of
the ten digits (the dataset's own settings, seeds 0, 1, ...) as one sweep group through
``sweep.run_group`` (one member: the group of one a lone run is) and reports its peak
resident memory (``ru_maxrss``), TensorFlow included. ``MAX_GROUP_IMAGES`` bounds how many
such members one sweep task holds (docs/operations.md).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = tuple(f"digits:{digit}" for digit in range(10))


def child(model: str, members: int, epochs: int) -> None:
    from models_zoo.budget import training_images
    from models_zoo.classes import resolve
    from models_zoo.config import RunConfig
    from models_zoo.sweep import run_group

    base = RunConfig.from_dict({"classes": CLASSES, "model": model, "epochs": epochs})
    began = time.perf_counter()
    run_group([base.replace(seed=seed) for seed in range(members)], resolve(CLASSES))
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peak_mb:.0f} {seconds:.1f} {training_images(base)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--members", default="1,5,10,20")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.epochs)
        return
    print(f"ten digits, {args.epochs} epochs; load {os.getloadavg()[0]:.1f}")
    print(f"{'model':6} {'members':>7} {'images each':>11} {'peak':>8} {'time':>7}")
    for model in args.models.split(","):
        for members in (int(v) for v in args.members.split(",")):
            command = [sys.executable, __file__, "--child", model, str(members)]
            command += ["--epochs", str(args.epochs)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            peak, seconds, images = out.split()[-3:]
            print(f"{model:6} {members:7} {images:>11} {int(peak) / 1024:6.2f} GB {seconds:>6}s")


if __name__ == "__main__":
    main()
