"""A seed group trained together against its runs made one after another (run by hand).

    .venv/bin/python bench/bench_sweeps.py [--repeats 3] [--models mlp,cnn] [--seeds 10]
    .venv/bin/python bench/bench_sweeps.py --layouts "1/2;5/2;10/1" [--models mlp] [--epochs 20]
    .venv/bin/python bench/bench_sweeps.py --cores [--models cnn] [--epochs 5]

The paper preset on figure 2's six classes, ``--seeds`` seeds, in one warm process: every
graph is traced once before timing. Each repeat times the runs one after another through
``pipeline.run`` and the same runs through ``sweep.run_group``, in turns, so both see the
same load; the table shows the medians, their ratio, the spread of the ratio, and the
load average before and after. Each model's line above the table compares every member's
|r| from the group with the same run made alone.

With ``--layouts`` it times the training graph alone instead (``--epochs`` epochs, best of
``--repeats``), a lone run's against stacked graphs of ``--seeds`` members laid out as
``members per part/parts at a time`` (``1/2``: a part per member, two at a time).
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


def sequential(members: list) -> tuple[float, list]:
    from models_zoo.pipeline import run

    began = time.perf_counter()
    results = [run(config) for config in members]
    return time.perf_counter() - began, results


def together(members: list) -> tuple[float, list]:
    from models_zoo.classes import resolve
    from models_zoo.sweep import run_group

    began = time.perf_counter()
    results = run_group(members, resolve(CLASSES))
    return time.perf_counter() - began, results


def r_differences(alone: list, stacked: list) -> list[float]:
    """|r| of every member's class images, together minus alone."""
    return [
        b.r - a.r
        for x, y in zip(alone, stacked, strict=True)
        for a, b in zip(x.classes, y.classes, strict=True)
        if a.r is not None and b.r is not None
    ]


def layouts(model: str, members: int, specs: list[str], epochs: int, repeats: int) -> None:
    import numpy as np

    from models_zoo import architectures, pipeline, training
    from models_zoo.classes import resolve
    from models_zoo.stacked_layers import StackedNet, layer_plans, read_weights
    from models_zoo.stacked_training import StackedTrainGraph
    from models_zoo.tf_env import tf

    group = configs(model, 0, members)
    prepared = [pipeline.prepare(c, resolve(CLASSES)) for c in group]
    sets = [(p[1], p[2]) for p in prepared]
    first = architectures.build(model, len(CLASSES), group[0])
    plans = layer_plans(first)
    assert plans is not None
    weights = read_weights(first, plans)
    n, n_val = len(sets[0][0]), len(sets[0][1])
    shape = (len(CLASSES), n, n_val, group[0].batch_size)
    rng = np.random.default_rng(0)
    orders = np.stack(
        [np.stack([rng.permutation(n) for _ in range(members)]) for _ in range(epochs)]
    ).astype(np.int32)
    lone = training._TrainGraph(model, shape, "adadelta", False, sizes=group[0])
    lone.load(first, sets[0][0], sets[0][1], group[0])
    graphs = {"lone run": lambda: lone.run_epochs(tf.constant(orders[:, 0])).numpy()}
    for spec in specs:
        per_part, wave = (int(v) for v in spec.split("/"))
        count = -(-members // per_part)
        base, extra = divmod(members, count)
        parts = [base + (1 if i < extra else 0) for i in range(count)]
        net = StackedNet(plans, [w.shape for w in weights], parts)
        graph = StackedTrainGraph(net, shape, "adadelta", False, wave=wave)
        graph.load([weights] * members, sets, group[0])
        stacked = tf.constant(orders)
        graphs[spec] = lambda graph=graph, stacked=stacked: graph.run_epochs(stacked).numpy()
    for run in graphs.values():
        run()
    best = dict.fromkeys(graphs, float("inf"))
    for _ in range(repeats):
        for name, run in graphs.items():
            began = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - began)
    steps = epochs * -(-n // group[0].batch_size)
    load = os.getloadavg()[0]
    print(f"{model}, {members} members, ms per step (best of {repeats}); load {load:.1f}")
    for name, seconds in best.items():
        times = 1 if name == "lone run" else members
        ratio = seconds / (best["lone run"] * times)
        print(f"  {name:10} {seconds / steps * 1e3:8.3f}  {ratio:5.2f}x the lone graph x {times}")


def lone_steps(model: str, epochs: int, repeats: int) -> float:
    """Milliseconds a step of a lone run's training graph (best of ``repeats``)."""
    import numpy as np

    from models_zoo import architectures, pipeline, training
    from models_zoo.classes import resolve
    from models_zoo.tf_env import tf

    config = configs(model, 0, 1)[0]
    _, train_set, val_set = pipeline.prepare(config, resolve(CLASSES))
    first = architectures.build(model, len(CLASSES), config)
    n = len(train_set)
    shape = (len(CLASSES), n, len(val_set), config.batch_size)
    graph = training._TrainGraph(model, shape, "adadelta", False, sizes=config)
    graph.load(first, train_set, val_set, config)
    rng = np.random.default_rng(0)
    orders = tf.constant(np.stack([rng.permutation(n) for _ in range(epochs)]).astype(np.int32))
    graph.run_epochs(orders).numpy()
    # Warm: tell the caller, and wait for its word, so that processes started together
    # time their steps at the same time.
    print("ready", flush=True)
    sys.stdin.readline()
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        graph.run_epochs(orders).numpy()
        best = min(best, time.perf_counter() - began)
    return best / (epochs * -(-n // config.batch_size)) * 1e3


def cores(model: str, epochs: int, repeats: int) -> None:
    import subprocess

    def start(threads: dict[str, str]) -> subprocess.Popen:
        command = [sys.executable, __file__, "--lone-steps", model, "--epochs", str(epochs)]
        command += ["--repeats", str(repeats)]
        env = {**os.environ, **threads}
        pipe = subprocess.PIPE
        return subprocess.Popen(command, env=env, stdin=pipe, stdout=pipe, text=True)

    def figures(*threads: dict[str, str]) -> list[float]:
        """Each process's ms per step, all of them timing at once."""
        processes = [start(each) for each in threads]
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("a timing process failed before it was ready")
        out = [process.communicate("go\n")[0] for process in processes]
        if any(process.returncode for process in processes):
            raise SystemExit("a timing process failed")
        return [float(text.strip().splitlines()[-1]) for text in out]

    (alone,) = figures({})
    one_core = {"TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
    (single,) = figures(one_core)
    side_by_side = figures(one_core, one_core)
    each = max(side_by_side)
    print(
        f"{model}: ms per step, best of {repeats}, {epochs} epochs; load {os.getloadavg()[0]:.1f}"
    )
    print(f"  a lone run's graph, as runs use it      {alone:7.3f}")
    print(f"  the same on one core                    {single:7.3f}")
    shown = " and ".join(f"{v:.3f}" for v in side_by_side)
    print(f"  two at once, one core each              {shown}")
    print(
        f"  least a group's training can take: {each / 2 / alone:.2f}x its runs one after another"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--layouts", default="")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--cores", action="store_true")
    parser.add_argument("--lone-steps", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lone_steps:
        print(lone_steps(args.lone_steps, args.epochs, args.repeats))
        return
    if args.cores:
        for model in args.models.split(","):
            cores(model, args.epochs, args.repeats)
        return
    if args.layouts:
        for model in args.models.split(","):
            layouts(model, args.seeds, args.layouts.split(";"), args.epochs, args.repeats)
        return
    load_before = os.getloadavg()[0]
    rows = []
    for model in args.models.split(","):
        # Warm: trace the lone run's and the group's graphs on other seeds first.
        sequential(configs(model, 1000, 1))
        together(configs(model, 1000, args.seeds))
        alone, stacked, differences = [], [], []
        for repeat in range(args.repeats):
            members = configs(model, 100 * repeat, args.seeds)
            seconds, alone_results = sequential(members)
            alone.append(seconds)
            seconds, stacked_results = together(members)
            stacked.append(seconds)
            differences += r_differences(alone_results, stacked_results)
        ratios = sorted(s / a for s, a in zip(stacked, alone, strict=True))
        rows.append((model, statistics.median(alone), statistics.median(stacked), ratios))
        gaps = [abs(d) for d in differences]
        print(
            f"{model}: |r| together minus alone over {len(differences)} class images: "
            f"mean {statistics.mean(differences):+.4f}, "
            f"mean of absolute {statistics.mean(gaps):.4f}, largest {max(gaps):.4f}",
            flush=True,
        )
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
