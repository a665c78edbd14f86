"""The ML core stays free of Django, and its light modules stay free of TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in output.split()}


def test_models_zoo_imports_nothing_from_django():
    modules = imported_after(
        "import models_zoo.pipeline, models_zoo.persistence, models_zoo.render, models_zoo.shapes"
    )
    assert "tensorflow" in modules  # the import really happened
    assert "django" not in modules and "rest_framework" not in modules


def test_light_modules_do_not_load_tensorflow():
    modules = imported_after(
        "import models_zoo, models_zoo.shapes, models_zoo.config, models_zoo.classes, "
        "models_zoo.architectures, models_zoo.metrics, models_zoo.render, models_zoo.data"
    )
    assert "tensorflow" not in modules and "keras" not in modules
    assert "numpy" in modules


def test_no_source_file_imports_django():
    for path in (ROOT / "models_zoo").rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]):
                assert not words[1].startswith(("django", "rest_framework")), (path, line)
