"""What highlighting did: how much of a class's picture and saliency lies in its red region.

For each class with a red ("not part of the class") region two shares are measured:

- **energy share**: the part of the generated image's variance (squared deviation from its
  mean) that lies inside the red region: how much the image the model dreams up for the class
  is drawn there;
- **saliency share**: the part of the squared input gradient of the class's log-probability,
  taken at the class's clean image, that lies inside the red region: how much the model's
  decision for that image depends on those pixels.

Both are 0 when the model ignores the region entirely and approach 1 when it looks nowhere
else. A region covering a share ``a`` of the image gets about ``a`` from an indifferent model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models_zoo.classes import ClassSpec


@dataclass(frozen=True)
class RegionEffect:
    key: str
    area_share: float  # the red region's share of the image's pixels
    energy_share: float | None  # None when the generated image is constant
    saliency_share: float | None  # None when the gradient vanishes everywhere

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "area_share": self.area_share,
            "energy_share": self.energy_share,
            "saliency_share": self.saliency_share,
        }


def region_share(values: np.ndarray, mask: np.ndarray) -> float | None:
    """Share of ``sum(values)`` inside ``mask`` (values must be non-negative)."""
    total = float(np.sum(values))
    if not np.isfinite(total) or total <= 1e-20:
        return None
    return float(np.sum(values * (mask > 0.5)) / total)


def energy_share(image: np.ndarray, mask: np.ndarray) -> float | None:
    centred = np.asarray(image, np.float64) - float(np.mean(image))
    return region_share(centred**2, mask)


def saliency_maps(model: Any, images: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """Squared input gradient of each image's log-probability for its class, (n, 28, 28)."""
    from models_zoo.tf_env import tf

    x = tf.constant(np.asarray(images, np.float32).reshape(-1, 28, 28, 1))
    onehot = tf.constant(np.eye(int(model.output_shape[-1]), dtype=np.float32)[list(labels)])
    with tf.GradientTape() as tape:
        tape.watch(x)
        log_probs = tf.nn.log_softmax(model(x, training=False))
        total = tf.reduce_sum(log_probs * onehot)
    grads = tape.gradient(total, x).numpy()[..., 0]
    return grads.astype(np.float64) ** 2


def effects(
    model: Any, classes: Sequence[ClassSpec], generated: Sequence[np.ndarray]
) -> list[RegionEffect]:
    """One :class:`RegionEffect` per class that has a red region (in class order)."""
    indexed = [
        (i, spec)
        for i, spec in enumerate(classes)
        if spec.irrelevant is not None and spec.irrelevant.max() > 0.5
    ]
    if not indexed:
        return []
    rng = np.random.default_rng(0)
    clean = np.stack([spec.sample(rng) for _, spec in indexed])
    saliency = saliency_maps(model, clean, [i for i, _ in indexed])
    out = []
    for row, (i, spec) in enumerate(indexed):
        mask = spec.irrelevant
        assert mask is not None
        out.append(
            RegionEffect(
                key=spec.key,
                area_share=float(np.mean(mask > 0.5)),
                energy_share=energy_share(generated[i], mask),
                saliency_share=region_share(saliency[row], mask),
            )
        )
    return out
