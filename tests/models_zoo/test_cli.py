"""The command line, run in-process through ``main(argv)`` and once as a real subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models_zoo import shapes
from models_zoo.cli import EXIT_USAGE, GRID_SCALE, SHAPE_SCALE, main

ROOT = Path(__file__).resolve().parents[2]
TINY_RUN_ARGS = ["--epochs", "3", "--max-steps", "20", "--seed", "1", "--quiet"]


def read_png(path: Path) -> Image.Image:
    with Image.open(path) as picture:
        assert picture.format == "PNG"
        picture.load()
        return picture.copy()


def test_run_writes_result_grid_images_and_weights(tmp_path, capsys):
    drawn = np.zeros((28, 28), dtype=np.float32)
    drawn[4:10, 4:24] = 1.0  # a wide bar, unlike any catalogue class
    np.save(tmp_path / "bar.npy", drawn)
    out = tmp_path / "out"

    argv = ["run", "--classes", "box,line", "--class-array", f"bar={tmp_path / 'bar.npy'}"]
    argv += ["--model", "mlp", "--init", "black", "--step", "0.005", "--save-weights"]
    status = main([*argv, "--out", str(out), *TINY_RUN_ARGS])

    assert status == 0
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["classes"] == ["box", "line", "bar"]
    assert result["config"]["epochs"] == 3 and result["config"]["max_steps"] == 20
    assert result["config"]["seed"] == 1 and result["config"]["step_size"] == 0.005
    assert 0.0 <= result["accuracy"] <= 1.0 and result["loss"] >= 0.0
    assert "val_accuracy" in result
    assert [c["key"] for c in result["classes"]] == ["box", "line", "bar"]
    for outcome in result["classes"]:
        assert outcome["r"] is None or 0.0 <= outcome["r"] <= 1.0
        assert 1 <= outcome["steps"] <= 20
        assert isinstance(outcome["reached"], bool)
    assert len(result["cross_r"]) == 3 and all(len(row) == 3 for row in result["cross_r"])
    # The diagonal of the cross-class matrix is each class's own |r|.
    for index, outcome in enumerate(result["classes"]):
        assert result["cross_r"][index][index] == outcome["r"]
    assert set(result["timings"]) >= {"build_s", "train_s", "visualize_s"}
    assert all(value >= 0 for value in result["timings"].values())

    weights = out / result["weights"]["file"]
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == result["weights"]["sha256"]
    arrays = np.load(out / "images.npz")
    assert list(arrays["keys"]) == ["box", "line", "bar"]
    np.testing.assert_array_equal(arrays["templates"][2], drawn)
    assert arrays["generated"].shape == (3, 28, 28)

    grid = read_png(out / "grid.png")
    cell, gap = 28 * GRID_SCALE, 8
    assert grid.width == 3 * (cell + gap) + gap
    assert grid.height > 2 * cell
    # The top row shows the clean templates: inside the box is white, its corner black.
    pixels = np.asarray(grid.convert("L"))
    assert pixels[gap + 14 * GRID_SCALE, gap + 14 * GRID_SCALE] == 255
    assert pixels[gap + 2 * GRID_SCALE, gap + 2 * GRID_SCALE] == 0
    # Third column: the drawn bar.
    left = gap + 2 * (cell + gap)
    assert pixels[gap + 6 * GRID_SCALE, left + 10 * GRID_SCALE] == 255
    assert pixels[gap + 20 * GRID_SCALE, left + 10 * GRID_SCALE] == 0

    printed = capsys.readouterr().out
    for key in ("box", "line", "bar"):
        assert key in printed
    assert "result.json" in printed and "grid.png" in printed


def test_shapes_writes_every_catalogue_class(tmp_path, capsys):
    assert main(["shapes", "--out", str(tmp_path)]) == 0

    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == sorted(f"{key}.png" for key in shapes.CATALOGUE)
    assert len(files) == 19
    size = 28 * SHAPE_SCALE
    for key in shapes.CATALOGUE:
        picture = read_png(tmp_path / f"{key}.png")
        assert picture.size == (size, size)
    box = np.asarray(read_png(tmp_path / "box.png").convert("L"))
    expected = np.kron(shapes.image("box"), np.ones((SHAPE_SCALE, SHAPE_SCALE))) * 255
    np.testing.assert_array_equal(box, expected.astype(np.uint8))
    assert "19 shapes" in capsys.readouterr().out


def _write(path: Path, array: object) -> str:
    np.save(path, np.asarray(array))
    return str(path)


@pytest.fixture
def arrays(tmp_path):
    text = tmp_path / "text.npy"
    text.write_text("not an array")
    return {
        "missing": str(tmp_path / "missing.npy"),
        "text": str(text),
        "small": _write(tmp_path / "small.npy", np.zeros((3, 3))),
        "bright": _write(tmp_path / "bright.npy", np.full((28, 28), 2.0)),
        "pickled": str(tmp_path / "pickled.npy"),
        "folder": str(tmp_path),
    }


ERRORS = [
    (["--classes", "box,nope"], "classes", "unknown class 'nope'"),
    (["--classes", "box"], "classes", "at least 2"),
    (["--classes", "box,box"], "classes", "twice"),
    (["--classes", "box,line", "--step", "0"], "step_size", "more than 0"),
    (["--classes", "box,line", "--step", "-0.1"], "step_size", "more than 0"),
    (["--classes", "box,line", "--epochs", "0"], "epochs", "at least 1"),
    (["--classes", "box,line", "--epochs", "1001"], "epochs", "at most 1000"),
    (["--classes", "box,line", "--epochs", "ten"], "epochs", "whole number"),
    (["--classes", "box,line", "--model", "resnet"], "model", "unknown model"),
    (["--classes", "box,line", "--init", "grey"], "initial_image", "must be one of"),
    (["--classes", "box,line", "--threshold", "1"], "threshold", "less than 1"),
    (["--classes", "box,line", "--class-array", "a={missing}"], "class_array", "cannot read"),
    (["--classes", "box,line", "--class-array", "a={text}"], "class_array", "cannot read"),
    (["--classes", "box,line", "--class-array", "a={folder}"], "class_array", "cannot read"),
    (["--classes", "box,line", "--class-array", "a={pickled}"], "class_array", "cannot read"),
    (["--classes", "box,line", "--class-array", "a={small}"], "class_array", "28x28, not 3x3"),
    (["--classes", "box,line", "--class-array", "a={bright}"], "class_array", "[0, 1]"),
    (["--classes", "box,line", "--class-array", "box={small}"], "class_array", "catalogue"),
    (["--classes", "box,line", "--class-array", "nopath"], "class_array", "NAME=path.npy"),
    (["--classes", "box,line", "--bogus", "1"], "arguments", "unrecognized"),
]


@pytest.mark.parametrize(("argv", "field", "fragment"), ERRORS)
def test_bad_arguments_exit_2_with_one_line(tmp_path, arrays, capsys, argv, field, fragment):
    np.save(arrays["pickled"], np.array([{"a": 1}], dtype=object), allow_pickle=True)
    out = tmp_path / "out"
    argv = [part.format(**arrays) for part in argv]

    status = main(["run", "--out", str(out), *argv])

    captured = capsys.readouterr()
    assert status == EXIT_USAGE
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"error: {field}: ")
    assert fragment in lines[0]
    assert "Traceback" not in captured.err
    assert not (out / "result.json").exists()


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["run", "--classes", "box,line"], "arguments"),  # --out is required
        (["launch"], "arguments"),
        ([], "arguments"),
        (["shapes", "--out", "{file}/below"], "out"),
        (["shapes", "--out", "{dir}", "--scale", "0"], "scale"),
        (["reproduce", "--seeds", "0"], "seeds"),
        (["reproduce", "--seeds", "many"], "seeds"),
        (["reproduce", "--models", "mlp,transformer"], "models"),
        (["reproduce", "--epochs", "2000"], "epochs"),
        (["reproduce", "--threshold-variant", "2015"], "threshold_variant"),
        (["reproduce", "--pool-gradient", "split"], "pool_gradient"),
    ],
)
def test_other_bad_arguments_exit_2(tmp_path, capsys, argv, field):
    a_file = tmp_path / "file"
    a_file.write_text("")
    argv = [part.format(file=a_file, dir=tmp_path) for part in argv]

    assert main(argv) == EXIT_USAGE

    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: ")


def test_help_exits_0(capsys):
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--classes", "--init", "--step", "--batch-size", "--max-steps", "--clip"):
        assert option in text
    assert "--class-array" in text and "--save-weights" in text


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_and_argument_errors_never_import_tensorflow():
    code = (
        "import sys\n"
        "from models_zoo.cli import main\n"
        "codes = [main(['--help']), main(['run', '--out', 'x', '--classes', 'box']),\n"
        "         main(['run', '--out', 'x', '--classes', 'box,line', '--step', '0'])]\n"
        "print(codes, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    completed = _python(code)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "[0, 2, 2] False False"


def test_python_dash_m_runs_end_to_end(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "models_zoo", "run", "--classes", "line,circle"]
    command += ["--epochs", "2", "--max-steps", "10", "--seed", "4", "--out", str(out)]

    completed = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )

    assert completed.returncode == 0, completed.stderr
    result = json.loads((out / "result.json").read_text())
    assert [c["key"] for c in result["classes"]] == ["line", "circle"]
    assert read_png(out / "grid.png").width == 2 * (28 * GRID_SCALE + 8) + 8
    assert "line" in completed.stdout and "circle" in completed.stdout
    # Progress goes to stderr, one line per tenth when stderr is not a terminal.
    assert "train epoch 2/2" in completed.stderr
    assert "100%  done" in completed.stderr


def test_python_dash_m_bad_argument_has_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "models_zoo", "run", "--out", str(tmp_path), "--classes", "x,y"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == EXIT_USAGE
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: classes: unknown class 'x'")


def test_run_output_folder_gets_readable_files(tmp_path):
    out = tmp_path / "shapes"
    assert main(["shapes", "--out", str(out), "--scale", "1"]) == 0
    mode = (out / "box.png").stat().st_mode & 0o777
    assert mode == 0o644
    assert not [path for path in out.iterdir() if path.name.startswith(".")]
