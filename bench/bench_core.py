"""Speed of the ML core on the paper's second figure setup (run by hand, not by the tests).

    .venv/bin/python bench/bench_core.py [--repeats 5] [--models mlp,cnn]

For each model: the median warm time of build + train + visualize (TensorFlow already
imported), the cold time of a fresh process including the TensorFlow import, peak memory,
and two ratios measured in the same process: Keras ``model.fit`` on the same training work
against ours, and ours against a minimal hand-written compiled loop (the practical limit).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLASSES = ("box", "line", "circle", "tri", "noise", "noise_blur")


def config_for(model: str, seed: int):
    from models_zoo.config import RunConfig

    return RunConfig(classes=CLASSES, model=model, seed=seed)  # the paper preset otherwise


def ours(model: str, seed: int) -> dict[str, float]:
    from models_zoo.pipeline import run

    began = time.perf_counter()
    result = run(config_for(model, seed))
    return {"total_s": time.perf_counter() - began, **result.timings}


def keras_fit(model: str, seed: int) -> float:
    """Training alone through Keras compile + fit, as the 2017 prototype trained."""
    from models_zoo import architectures
    from models_zoo.classes import resolve
    from models_zoo.data import build_dataset
    from models_zoo.tf_env import keras, seed_everything

    config = config_for(model, seed)
    seed_everything(seed)
    data = build_dataset(resolve(CLASSES), seed=seed)
    began = time.perf_counter()
    network = architectures.build(model, len(CLASSES))
    network.compile(
        optimizer=keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-8),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    network.fit(
        data.x,
        data.y,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_split=config.validation_split,
        verbose=0,
    )
    return time.perf_counter() - began


def minimal_loop(model: str, seed: int) -> float:
    """The least a compiled TensorFlow loop can do for the same work: every epoch in one graph
    call, no progress, no validation, no metrics; then all classes generated in one call."""
    import numpy as np

    from models_zoo import architectures
    from models_zoo.classes import resolve
    from models_zoo.data import build_dataset
    from models_zoo.tf_env import seed_everything, tf

    config = config_for(model, seed)
    seed_everything(seed)
    data, _ = build_dataset(resolve(CLASSES), seed=seed).split(config.validation_split)
    began = time.perf_counter()
    network = architectures.build(model, len(CLASSES))
    variables = [v.value for v in network.trainable_variables]
    slots = [(tf.Variable(tf.zeros_like(v)), tf.Variable(tf.zeros_like(v))) for v in variables]
    n, batch = len(data), config.batch_size
    rng = np.random.default_rng(seed)
    orders = tf.constant(np.stack([rng.permutation(n) for _ in range(config.epochs)]))
    x_all, y_all = tf.constant(data.x), tf.constant(data.y)

    @tf.function
    def train_all() -> None:
        for epoch in tf.range(config.epochs):
            x = tf.gather(x_all, orders[epoch])
            y = tf.gather(y_all, orders[epoch])
            for i in tf.range(n // batch):
                with tf.GradientTape() as tape:
                    logits = network(x[i * batch : (i + 1) * batch], training=True)
                    loss = tf.reduce_mean(
                        tf.nn.softmax_cross_entropy_with_logits(
                            y[i * batch : (i + 1) * batch], logits
                        )
                    )
                grads = tape.gradient(loss, network.trainable_variables)
                for var, (accum, update), grad in zip(variables, slots, grads, strict=True):
                    tf.raw_ops.ResourceApplyAdadelta(
                        var=var.handle,
                        accum=accum.handle,
                        accum_update=update.handle,
                        lr=1.0,
                        rho=0.95,
                        epsilon=1e-8,
                        grad=grad,
                    )

    onehot = tf.constant(np.eye(len(CLASSES), dtype=np.float32))

    @tf.function
    def generate_all() -> tf.Tensor:
        def body(i, x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                p = tf.reduce_sum(tf.nn.softmax(network(x, training=False)) * onehot, axis=1)
                total = tf.reduce_sum(p)
            g = tape.gradient(total, x)
            g = g / (tf.sqrt(tf.reduce_mean(g * g, axis=[1, 2, 3], keepdims=True)) + 1e-5)
            active = (p <= 0.99)[:, None, None, None]
            return i + 1, tf.where(active, x + config.step_size * g, x)

        def more(i, x):
            p = tf.reduce_sum(tf.nn.softmax(network(x, training=False)) * onehot, axis=1)
            return tf.logical_and(i < config.max_steps, tf.reduce_any(p <= 0.99))

        x0 = tf.zeros([len(CLASSES), 28, 28, 1])
        return tf.while_loop(more, body, [tf.constant(0), x0])[1]

    train_all()
    generate_all().numpy()
    return time.perf_counter() - began


def cold(model: str) -> tuple[float, float]:
    """A fresh process: import TensorFlow, then one run. Returns (seconds, peak MiB)."""
    code = (
        "import time, resource, sys; t = time.perf_counter(); "
        f"sys.path.insert(0, {str(ROOT)!r}); "
        "from models_zoo.pipeline import run; from models_zoo.config import RunConfig; "
        f"run(RunConfig(classes={CLASSES!r}, model={model!r}, seed=0)); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, kib = out.stdout.split()[-2:]
    return float(seconds), int(kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    rows = []
    for model in args.models.split(","):
        ours(model, 0)  # warm-up: TensorFlow's own first-use costs are not the model's
        warm = [ours(model, seed) for seed in range(1, args.repeats + 1)]
        fit = [keras_fit(model, seed) for seed in range(1, min(args.repeats, 3) + 1)]
        minimal_loop(model, 0)
        limit = [minimal_loop(model, seed) for seed in range(1, args.repeats + 1)]
        cold_s, cold_mib = cold(model)
        median = {key: statistics.median(run[key] for run in warm) for key in warm[0]}
        rows.append(
            {
                "model": model,
                "warm_median_s": median["total_s"],
                "build_s": median["build_s"],
                "train_s": median["train_s"],
                "visualize_s": median["visualize_s"],
                "cold_s": cold_s,
                "cold_peak_mib": cold_mib,
                "fit_train_s": statistics.median(fit),
                "fit_over_ours_train": statistics.median(fit) / median["train_s"],
                "minimal_loop_s": statistics.median(limit),
                "ours_over_minimal": median["total_s"] / statistics.median(limit),
            }
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps({"rows": rows, "bench_process_peak_mib": peak}, indent=2))
        return
    print(f"paper setup 2 ({', '.join(CLASSES)}), 100 epochs, batch 4, black, step 0.005")
    print(f"{'model':6} {'warm':>7} {'build':>6} {'train':>6} {'vis':>6} {'cold':>6} "
          f"{'peak':>8} {'fit':>6} {'fit/ours':>8} {'minimal':>7} {'ours/min':>8}")  # fmt: skip
    for r in rows:
        print(
            f"{r['model']:6} {r['warm_median_s']:6.2f}s {r['build_s']:5.2f}s {r['train_s']:5.2f}s "
            f"{r['visualize_s']:5.2f}s {r['cold_s']:5.1f}s {r['cold_peak_mib']:6.0f}MiB "
            f"{r['fit_train_s']:5.1f}s {r['fit_over_ours_train']:7.1f}x "
            f"{r['minimal_loop_s']:6.2f}s {r['ours_over_minimal']:7.2f}x"
        )
    print(f"peak memory of this benchmark process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
