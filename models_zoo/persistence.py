"""Trained weights on disk: written atomically, loaded only after their hash checks out.

Only ``.weights.h5`` files are ever loaded, into a model rebuilt from code; a full model
file (which can carry code) is never read.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from models_zoo import architectures, tf_env  # noqa: F401  (quiet TensorFlow first)

WEIGHTS_NAME = "weights.weights.h5"
CHECKPOINT_NAME = "checkpoint.json"


class WeightsError(Exception):
    """A weights file is missing, altered or does not fit the architecture."""


def sha256_of(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_weights(model: Any, path: str | os.PathLike[str]) -> str:
    """Writes ``path`` (must end in ``.weights.h5``) via a temporary file; returns its SHA-256."""
    target = Path(path)
    if not target.name.endswith(".weights.h5"):
        raise ValueError("weights files must end in .weights.h5")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=".weights.h5", dir=target.parent)
    os.close(handle)
    try:
        model.save_weights(temporary)
        digest = sha256_of(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest


def load_model(
    path: str | os.PathLike[str],
    *,
    model: str,
    n_classes: int,
    sha256: str,
    sizes: architectures.Sizes = None,
) -> Any:
    """Rebuilds architecture ``model`` and loads the weights, refusing a file whose hash differs.

    ``sizes`` is the run's configuration, or a mapping of its settings, for the model's shape
    (``mlp_layers``, ...); a setting it lacks (a run stored before the shape was a setting)
    takes its default, which was then the only shape.
    """
    try:
        actual = sha256_of(path)
    except OSError as error:
        raise WeightsError(f"cannot read the weights file: {error.strerror or error}") from None
    if actual != sha256:
        raise WeightsError("the weights file does not match its recorded SHA-256; it was altered")
    network = architectures.build(model, n_classes, sizes)
    try:
        network.load_weights(os.fspath(path))
    except Exception as error:  # h5py and Keras raise many types for a bad file
        raise WeightsError(f"the weights file does not fit a {model} model: {error}") from None
    return network


def save_checkpoint(model: Any, directory: str | os.PathLike[str], config: Any) -> dict[str, Any]:
    """Writes ``weights.weights.h5`` and ``checkpoint.json`` (architecture, class count, the
    run's configuration and the weights' SHA-256) into ``directory``; returns the metadata."""
    import json

    folder = Path(directory)
    digest = save_weights(model, folder / WEIGHTS_NAME)
    metadata = {
        "architecture": config.model,
        "n_classes": len(config.classes),
        "config": config.to_dict(),
        "sha256": digest,
        "weights": WEIGHTS_NAME,
    }
    handle, temporary = tempfile.mkstemp(suffix=".json", dir=folder)
    with os.fdopen(handle, "w") as out:
        json.dump(metadata, out, indent=2)
    os.replace(temporary, folder / CHECKPOINT_NAME)
    return metadata


def load_checkpoint(directory: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """Rebuilds the model a checkpoint describes; returns ``(model, metadata)``."""
    import json

    folder = Path(directory)
    try:
        metadata = json.loads((folder / CHECKPOINT_NAME).read_text())
        architecture, n_classes = metadata["architecture"], int(metadata["n_classes"])
        sha256 = metadata["sha256"]
        sizes = metadata.get("config") or {}
        if not isinstance(sizes, dict):
            raise TypeError("config must be an object")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise WeightsError(f"cannot read {CHECKPOINT_NAME}: {error}") from None
    model = load_model(
        folder / WEIGHTS_NAME,
        model=architecture,
        n_classes=n_classes,
        sha256=sha256,
        sizes=sizes,
    )
    return model, metadata
