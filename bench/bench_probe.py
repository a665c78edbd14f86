"""How long the live probe's numpy pass takes per stroke (run by hand)

    .venv/bin/python bench/bench_probe.py [--calls 200] [--json]

A child process builds the paper's MLP and CNN and the deeper CNN for six classes (seed 0)
and writes their ``.weights.h5`` files, as a run does; this process never loads TensorFlow,
as the web process must not. For each model it reports: importing ``models_zoo.probe`` in a
fresh interpreter, the first ``probe.load`` (read, hash, h5py), a later ``probe.load`` (kept),
and over ``--calls`` calls on a drawing that grows stroke by stroke, ``forward`` alone and
``read`` (probabilities and the saliency of the likeliest class from one forward pass):
the wall-clock median and 95th percentile and the processor time per call, in milliseconds.
The load average is printed with the figures, as other work on the machine moves them.
Importing the package ``models_zoo`` is reported apart from the probe's own import: the web
process imports the package anyway.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models_zoo import probe  # noqa: E402

MODELS = ("mlp", "cnn", "cnn_deep")
N_CLASSES = 6

WRITER = """
import json, sys
from models_zoo import architectures, persistence
from models_zoo.tf_env import seed_everything
folder, models, n_classes = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
digests = {}
for name in models:
    seed_everything(0)
    model = architectures.build(name, n_classes)
    digests[name] = persistence.save_weights(model, f"{folder}/{name}.weights.h5")
print(json.dumps(digests))
"""

# The package itself (its configuration and shape catalogue, which the web process imports
# anyway), then the probe on top of it.
IMPORT_TIME = """
import time
began = time.perf_counter()
import models_zoo
middle = time.perf_counter()
import models_zoo.probe
print(middle - began, time.perf_counter() - middle)
"""


def write_weights(folder: str) -> dict[str, str]:
    output = subprocess.run(
        [sys.executable, "-c", WRITER, folder, ",".join(MODELS), str(N_CLASSES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(output.splitlines()[-1]))


def import_seconds() -> tuple[float, float]:
    output = subprocess.run(
        [sys.executable, "-c", IMPORT_TIME], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    package, probe_alone = output.split()[-2:]
    return float(package), float(probe_alone)


def strokes(calls: int) -> list[np.ndarray]:
    """A drawing that grows by a short stroke of 3x3 dabs per call, as a person draws."""
    rng = np.random.default_rng(0)
    image = np.zeros((28, 28), np.float32)
    row, col = 14, 14
    drawings = []
    for _ in range(calls):
        for _ in range(4):
            row = int(np.clip(row + rng.integers(-2, 3), 1, 26))
            col = int(np.clip(col + rng.integers(-2, 3), 1, 26))
            image[row - 1 : row + 2, col - 1 : col + 2] = 1.0
        drawings.append(image.copy())
    return drawings


def milliseconds(samples: list[float]) -> dict[str, float]:
    values = np.array(samples) * 1000
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}


def timed(call, drawings: list[np.ndarray]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Wall-clock median and 95th percentile per call, and the mean processor time per call
    (what a call costs whatever else the machine runs), in milliseconds."""
    samples = []
    cpu_began = time.process_time()
    for drawing in drawings:
        began = time.perf_counter()
        call(drawing)
        samples.append(time.perf_counter() - began)
    cpu = (time.process_time() - cpu_began) / len(drawings) * 1000
    return {**milliseconds(samples), "cpu": cpu}


def bench(name: str, folder: str, digest: str, calls: int) -> dict[str, object]:
    path = f"{folder}/{name}.weights.h5"
    began = time.perf_counter()
    network = probe.load(path, model=name, n_classes=N_CLASSES, sha256=digest)
    first_load = time.perf_counter() - began
    began = time.perf_counter()
    probe.load(path, model=name, n_classes=N_CLASSES, sha256=digest)
    kept_load = time.perf_counter() - began
    drawings = strokes(calls)
    timed(network.read, drawings[:10])  # warm caches and BLAS
    return {
        "model": name,
        "weights_mb": round(network.nbytes / 2**20, 1),
        "first_load_ms": round(first_load * 1000, 1),
        "kept_load_ms": round(kept_load * 1000, 3),
        "forward_ms": timed(network.forward, drawings),
        "read_ms": timed(network.read, drawings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        digests = write_weights(folder)
        load_before = os.getloadavg()
        imported = import_seconds()
        rows = [bench(name, folder, digests[name], args.calls) for name in MODELS]
        load_after = os.getloadavg()
    report = {
        "calls": args.calls,
        "import_package_s": round(imported[0], 3),
        "import_probe_s": round(imported[1], 3),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tensorflow_loaded": "tensorflow" in sys.modules,
        "models": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"load average {report['load_average_before']} -> {report['load_average_after']}; "
        f"in a fresh interpreter, import models_zoo {imported[0] * 1000:.0f} ms, then "
        f"models_zoo.probe {imported[1] * 1000:.0f} ms; "
        f"peak memory {report['max_rss_mb']} MB; TensorFlow loaded: {report['tensorflow_loaded']}"
    )
    print(f"{args.calls} calls each, milliseconds (wall p50 / p95, processor time per call):")
    print("model     weights MB  first load  kept load  forward               forward+saliency")
    for row in rows:
        f, r = row["forward_ms"], row["read_ms"]
        print(
            f"{row['model']:<9} {row['weights_mb']:>10} {row['first_load_ms']:>11} "
            f"{row['kept_load_ms']:>10}  {f['p50']:5.2f} / {f['p95']:5.2f}, {f['cpu']:5.2f}  "  # type: ignore[index]
            f"{r['p50']:5.2f} / {r['p95']:5.2f}, {r['cpu']:5.2f}"  # type: ignore[index]
        )


if __name__ == "__main__":
    main()
