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


def load_model(path: str | os.PathLike[str], *, model: str, n_classes: int, sha256: str) -> Any:
    """Rebuilds architecture ``model`` and loads the weights, refusing a file whose hash differs."""
    try:
        actual = sha256_of(path)
    except OSError as error:
        raise WeightsError(f"cannot read the weights file: {error.strerror or error}") from None
    if actual != sha256:
        raise WeightsError("the weights file does not match its recorded SHA-256; it was altered")
    network = architectures.build(model, n_classes)
    try:
        network.load_weights(os.fspath(path))
    except Exception as error:  # h5py and Keras raise many types for a bad file
        raise WeightsError(f"the weights file does not fit a {model} model: {error}") from None
    return network
