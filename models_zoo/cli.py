"""The command line: ``python -m models_zoo run | shapes | reproduce | decoy``.

Every setting of :class:`~models_zoo.config.RunConfig` is an option of ``run``, passed as
text to :meth:`RunConfig.from_dict`, so the command line rejects exactly what the web
platform and the API reject, with the same message naming the field. Bad arguments end in
one line on stderr (``error: <field>: <message>``) and exit code 2, never a traceback.

TensorFlow is imported only inside the commands that train, so ``--help`` and argument
errors answer at once.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import numpy as np

from models_zoo import render, reproduce, shapes
from models_zoo.classes import ClassImageError, ClassSpec, check_image
from models_zoo.config import CHOICES, LIMITS, LIST_LIMITS, ConfigError, RunConfig

EXIT_USAGE = 2
GRID_SCALE = 4
SHAPE_SCALE = 4
ARRAY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Short spellings kept from the example command; the long field names work too.
ALIASES = {"initial_image": "--init", "step_size": "--step"}
HIDDEN_FIELDS = {"classes"}


class UsageError(Exception):
    """A bad argument: ``field`` names what was wrong, ``message`` says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports errors as one line instead of usage plus exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError("arguments", message)


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def _field_help(field: str) -> str:
    if field == "model":
        from models_zoo.architectures import ARCHITECTURES

        return "one of " + ", ".join(ARCHITECTURES)
    if field in CHOICES:
        return "one of " + ", ".join(CHOICES[field])
    if field in LIST_LIMITS:
        limit = LIST_LIMITS[field]
        return (
            f"{limit.fewest} to {limit.most} {limit.entry}s separated by commas, "
            f"each {limit.low} to {limit.high}"
        )
    if field in LIMITS:
        low, high = LIMITS[field]
        return f"{low:g} to {high:g}"
    return ""


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """One option per RunConfig field; unset options keep the paper preset's defaults."""
    defaults = RunConfig.__dataclass_fields__
    parser.add_argument(
        "--classes",
        default=None,
        help="comma-separated catalogue keys, e.g. box,line,circle (see the shapes command)",
    )
    for field in RunConfig.field_names():
        if field in HIDDEN_FIELDS:
            continue
        names = [option_name(field)]
        if field in ALIASES:
            names.insert(0, ALIASES[field])
        default = defaults[field].default
        if isinstance(default, tuple):
            default = ",".join(str(value) for value in default)
        shown = f"{_field_help(field)}; default {default}".lstrip("; ")
        if isinstance(default, bool):
            parser.add_argument(
                *names,
                dest=field,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"default {'on' if default else 'off'}",
            )
        else:
            parser.add_argument(*names, dest=field, default=None, metavar="VALUE", help=shown)


def config_from_args(args: argparse.Namespace, extra_classes: Sequence[str] = ()) -> RunConfig:
    """A validated RunConfig from the options that were given (the rest stay at defaults)."""
    data: dict[str, Any] = {}
    keys = [part.strip() for part in (args.classes or "").split(",") if part.strip()]
    data["classes"] = [*keys, *extra_classes]
    for field in RunConfig.field_names():
        if field in HIDDEN_FIELDS:
            continue
        value = getattr(args, field, None)
        if value is not None:
            data[field] = value
    return RunConfig.from_dict(data)


def load_class_array(argument: str) -> ClassSpec:
    """``NAME=path.npy`` → a class whose template is the 28x28 array in that file."""
    name, separator, path = argument.partition("=")
    name = name.strip()
    if not separator or not path:
        raise UsageError("class_array", f"expected NAME=path.npy, not {argument!r}")
    if not ARRAY_NAME.match(name):
        raise UsageError(
            "class_array", f"{name!r} is not a usable class name (letters, digits, _ . -)"
        )
    if name in shapes.CATALOGUE:
        raise UsageError("class_array", f"{name!r} is a catalogue class; pick another name")
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise UsageError("class_array", f"cannot read {path!r}: {reason}") from None
    try:
        image = check_image(array, f"{name} ({path})")
    except ClassImageError as error:
        raise UsageError("class_array", str(error)) from None
    return ClassSpec(key=name, name=name, image=image)


def class_specs(config: RunConfig, arrays: Sequence[ClassSpec]) -> list[ClassSpec]:
    """The run's classes in the order of ``config.classes``: catalogue keys, then arrays."""
    by_key = {spec.key: spec for spec in arrays}
    specs = []
    for key in config.classes:
        if key in by_key:
            specs.append(by_key[key])
            continue
        try:
            specs.append(ClassSpec.from_catalogue(key))
        except KeyError:
            known = ", ".join(shapes.CATALOGUE)
            raise UsageError("classes", f"unknown class {key!r}; known: {known}") from None
    return specs


def write_atomic(path: Path, data: bytes) -> None:
    """Writes ``path`` through a temporary file in the same folder and ``os.replace``."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp creates 0600 files; results are meant to be shared like any other output.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def prepare_out(path: str) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError("out", f"cannot create {path!r}: {error.strerror or error}") from None
    if not os.access(out, os.W_OK):
        raise UsageError("out", f"{path!r} is not writable")
    return out


class ProgressLine:
    """A one-line progress report on stderr: redrawn in place on a terminal, else every 10%."""

    def __init__(self, stream: TextIO, prefix: str = "") -> None:
        self.stream = stream
        self.prefix = prefix
        self.tty = stream.isatty()
        self.last_tenth = -1

    def __call__(self, progress: Any) -> None:
        if progress.phase == "train":
            metrics = progress.metrics
            text = f"train epoch {progress.done}/{progress.total}"
            if "loss" in metrics:
                text += f"  loss {metrics['loss']:.4f}  accuracy {metrics['accuracy']:.3f}"
        elif progress.fraction < 1.0:
            text = f"generate step {progress.done} (cap {progress.total})"
        else:
            text = "done"
        text = f"{self.prefix}{progress.fraction:4.0%}  {text}"
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
            return
        tenth = int(progress.fraction * 10)
        if tenth > self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _r_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def summary(result_json: dict[str, Any], files: Sequence[Path]) -> str:
    """The human summary of one run, as printed by ``run``."""
    config = result_json["config"]
    lines = [
        f"{config['model']}, initial image {config['initial_image']}, step "
        f"{config['step_size']:g}, {config['epochs']} epochs, seed {config['seed']}",
    ]
    accuracy = result_json["accuracy"]
    line = f"training accuracy {accuracy:.3f}, loss {result_json['loss']:.4f}"
    if result_json.get("val_accuracy") is not None:
        line += f", validation accuracy {result_json['val_accuracy']:.3f}"
    lines.append(line)
    width = max(len("class"), *(len(c["key"]) for c in result_json["classes"]))
    lines.append(f"{'class':<{width}}  {'|r|':>5}  {'steps':>5}  reached")
    for outcome in result_json["classes"]:
        reached = "yes" if outcome["reached"] else "no (cap)"
        lines.append(
            f"{outcome['key']:<{width}}  {_r_text(outcome['r']):>5}  "
            f"{outcome['steps']:>5}  {reached}"
        )
    timings = result_json["timings"]
    lines.append(
        f"build {timings['build_s']:.2f} s, train {timings['train_s']:.2f} s, "
        f"visualize {timings['visualize_s']:.2f} s"
    )
    lines.append("wrote " + ", ".join(str(path) for path in files))
    return "\n".join(lines)


def command_run(args: argparse.Namespace) -> int:
    arrays = [load_class_array(argument) for argument in args.class_array]
    config = config_from_args(args, [spec.key for spec in arrays])
    specs = class_specs(config, arrays)
    out = prepare_out(args.out)

    from models_zoo import pipeline

    progress = None if args.quiet else ProgressLine(sys.stderr)
    try:
        result = pipeline.run(config, specs, on_progress=progress)
    finally:
        if progress is not None:
            progress.close()
    data = result.to_json()
    written = []
    if args.save_weights:
        from models_zoo.persistence import save_weights

        weights = out / "model.weights.h5"
        digest = save_weights(result.model, weights)
        data["weights"] = {
            "file": weights.name,
            "sha256": digest,
            "model": config.model,
            "n_classes": len(specs),
        }
        written.append(weights)
    images = out / "images.npz"
    buffer = _npz_bytes(result)
    write_atomic(images, buffer)
    captions = [f"{o.key}\nr = {_r_text(o.r)}" for o in result.classes]
    grid = out / "grid.png"
    write_atomic(
        grid,
        render.grid_png(
            [o.template for o in result.classes],
            [o.image for o in result.classes],
            captions,
            scale=GRID_SCALE,
        ),
    )
    data["files"] = {"grid": grid.name, "images": images.name}
    result_path = out / "result.json"
    write_atomic(result_path, (json.dumps(data, indent=2) + "\n").encode())
    print(summary(data, [result_path, grid, images, *written]))
    return 0


def _npz_bytes(result: Any) -> bytes:
    """The raw generated images and their templates, for analysis outside ShapeShop."""
    import io

    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        keys=np.array([o.key for o in result.classes]),
        generated=np.stack([o.image for o in result.classes]),
        templates=np.stack([o.template for o in result.classes]),
    )
    return buffer.getvalue()


def command_shapes(args: argparse.Namespace) -> int:
    scale = _int_in_range("scale", args.scale, 1, 32)
    out = prepare_out(args.out)
    rng = np.random.default_rng(args.seed)
    for key, shape in shapes.CATALOGUE.items():
        write_atomic(out / f"{key}.png", render.to_png(shape.image(rng), scale=scale))
    print(f"wrote {len(shapes.CATALOGUE)} shapes ({28 * scale}x{28 * scale} px) to {out}")
    return 0


def command_reproduce(args: argparse.Namespace) -> int:
    from models_zoo.architectures import ARCHITECTURES

    seeds = _int_in_range("seeds", args.seeds, 1, 1000)
    first = _int_in_range("first_seed", args.first_seed, 0, 2**31 - 1 - seeds)
    epochs = _int_in_range("epochs", args.epochs, 1, 1000)
    max_steps = _int_in_range("max_steps", args.max_steps, 1, 20000)
    models = [part.strip() for part in args.models.split(",") if part.strip()]
    if not models:
        raise UsageError("models", "name at least one model")
    for model in models:
        if model not in ARCHITECTURES:
            known = ", ".join(ARCHITECTURES)
            raise UsageError("models", f"unknown model {model!r}; choose from {known}")
    for field, value, allowed in reproduce.variant_choices(args):
        if value not in allowed:
            raise UsageError(field, f"choose from {', '.join(allowed)}")
    runs = reproduce.collect(
        seeds=list(range(first, first + seeds)),
        models=models,
        epochs=epochs,
        max_steps=max_steps,
        threshold_variant=args.threshold_variant,
        pool_gradient=args.pool_gradient,
        on_run=None if args.quiet else reproduce.print_progress(sys.stderr),
    )
    report = reproduce.summarise(runs)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(reproduce.format_report(report))
    return 0


def _int_in_range(field: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise UsageError(field, f"must be a whole number, not {value!r}") from None
    if not low <= number <= high:
        raise UsageError(field, f"must be from {low} to {high}, not {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m models_zoo",
        description="ShapeShop's ML core: train on shapes, generate class images, measure them.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="train one model and generate one image per class",
        description="Train a classifier on the chosen classes, generate one image per class by "
        "class activation maximization and measure |r| against each class's shape. Every "
        "option left out keeps the paper's setting.",
    )
    run.add_argument("--out", required=True, help="folder for result.json, grid.png, images.npz")
    run.add_argument(
        "--class-array",
        action="append",
        default=[],
        metavar="NAME=PATH.npy",
        help="add a class from a 28x28 .npy array with values in [0, 1] (repeatable)",
    )
    run.add_argument(
        "--save-weights", action="store_true", help="also write model.weights.h5 (and its hash)"
    )
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_config_options(run)
    run.set_defaults(handler=command_run)

    shapes_parser = commands.add_parser(
        "shapes", help="write every catalogue class as a PNG named by its key"
    )
    shapes_parser.add_argument("--out", required=True, help="folder for the PNG files")
    shapes_parser.add_argument("--scale", default=SHAPE_SCALE, help="upscaling factor (1-32)")
    shapes_parser.add_argument("--seed", type=int, default=0, help="seed of the noise classes")
    shapes_parser.set_defaults(handler=command_shapes)

    reproduce_parser = commands.add_parser(
        "reproduce",
        help="run the paper's two figure setups over many seeds and test its claims",
    )
    reproduce_parser.add_argument("--seeds", default=10, help="number of seeds (default 10)")
    reproduce_parser.add_argument("--first-seed", default=0, help="first seed (default 0)")
    reproduce_parser.add_argument(
        "--models", default="mlp,cnn", help="models of the second figure (default mlp,cnn)"
    )
    reproduce_parser.add_argument(
        "--epochs", default=100, help="training epochs (default 100, the paper's; less for tests)"
    )
    reproduce_parser.add_argument(
        "--max-steps", default=2000, help="iteration cap of image generation (default 2000)"
    )
    reproduce.add_variant_arguments(reproduce_parser)
    reproduce_parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    reproduce_parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    reproduce_parser.set_defaults(handler=command_reproduce)
    from models_zoo import decoy  # the decoy digits benchmark: its options and its report

    decoy.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns the exit status (2 for bad arguments, with a one-line reason)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.handler(args))
    except SystemExit as stop:  # --help and --version print and exit cleanly
        return stop.code if isinstance(stop.code, int) else 0
    except (UsageError, ConfigError) as error:
        message = " ".join(str(error.message).split())
        print(f"error: {error.field}: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
