"""Where the CNN's training time went: threads per op, and split batches (run by hand).

    .venv/bin/python bench/bench_split.py [--repeats 6] [--model cnn]

Times the training graph alone (100 epochs of the paper's second figure setup in one graph
call, validation included) with whole batches and with split batches, once in a process whose
TensorFlow ops use two threads each and once with one thread each (the ML core's setting).
The two layouts are timed in turns within each process, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ("box", "line", "circle", "tri", "noise", "noise_blur")


def child(model: str, repeats: int) -> dict[str, list[float]]:
    import numpy as np

    from models_zoo import architectures, training
    from models_zoo.classes import resolve
    from models_zoo.config import RunConfig
    from models_zoo.data import build_dataset
    from models_zoo.tf_env import tf

    config = RunConfig(classes=CLASSES, model=model, seed=1)
    train_set, val_set = build_dataset(resolve(CLASSES), seed=1).split(config.validation_split)
    shape = (len(CLASSES), len(train_set), len(val_set), config.batch_size)
    rng = np.random.default_rng(1)
    orders = tf.constant(
        np.stack([rng.permutation(len(train_set)) for _ in range(config.epochs)]), tf.int32
    )
    graphs = {}
    for layout, split in (("whole", False), ("split", True)):
        graph = training._TrainGraph(model, shape, config.optimizer, False, split)
        graph.load(architectures.build(model, len(CLASSES)), train_set, val_set, config)
        graph.run_epochs(orders[:2]).numpy()  # traced here, not timed
        graphs[layout] = graph
    times: dict[str, list[float]] = {layout: [] for layout in graphs}
    for _ in range(repeats):
        for layout, graph in graphs.items():
            began = time.perf_counter()
            graph.run_epochs(orders).numpy()
            times[layout].append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.model, args.repeats)))
        return
    print(f"{args.model}: training graph alone, 100 epochs, median of {args.repeats}")
    print("threads per op  whole batches  split batches")
    for threads in (2, 1):
        environment = {**os.environ, "TF_NUM_INTRAOP_THREADS": str(threads)}
        command = [sys.executable, __file__, "--child", "--model", args.model]
        command += ["--repeats", str(args.repeats)]
        output = subprocess.run(
            command, env=environment, capture_output=True, text=True, check=True
        ).stdout
        times = json.loads(output.strip().splitlines()[-1])
        whole, split = (statistics.median(times[k]) for k in ("whole", "split"))
        print(f"{threads:>14}  {whole:>12.2f}s  {split:>12.2f}s")


if __name__ == "__main__":
    main()
