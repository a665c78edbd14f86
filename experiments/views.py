"""HTML pages: the public landing page and the Model Builder.

The views are thin: the builder page renders the choices (catalogue, architectures, bounds)
and its script talks to the JSON API for everything else. TensorFlow is never imported here.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy

from experiments import limits
from models_zoo import config, shapes
from models_zoo import render as shape_render
from models_zoo.architectures import list_architectures

# Where the page scripts find the JSON API (its root lists every endpoint).
API_ROOT = reverse_lazy("api:root")
# A fixed draw so the noise thumbnails look the same on every visit.
THUMBNAIL_SEED = 7

INITIAL_IMAGE_LABELS = {
    "black": "Black",
    "white": "White",
    "noise": "Noise",
    "noise_blur": "Blurred noise",
}


@dataclass(frozen=True)
class Thumbnail:
    key: str
    name: str
    src: str
    is_noise: bool = False


def png_data_uri(image: np.ndarray, *, normalise: bool = True) -> str:
    """A 28x28 image as an inline PNG; the page upscales it with crisp pixels."""
    encoded = base64.b64encode(shape_render.to_png(image, normalise=normalise)).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def catalogue_image_url(key: str) -> str:
    return reverse("api:catalogue-image", args=[key])


def initial_image_thumbnails() -> list[Thumbnail]:
    """One picture per initial-image choice, drawn the way the generator starts from it."""
    rng = np.random.default_rng(THUMBNAIL_SEED)
    pictures = {
        "black": np.zeros((shapes.SIZE, shapes.SIZE), dtype=np.float32),
        "white": np.ones((shapes.SIZE, shapes.SIZE), dtype=np.float32),
        "noise": shapes.noise(rng),
        "noise_blur": shapes.noise_blur(rng),
    }
    return [
        Thumbnail(
            key=key,
            name=INITIAL_IMAGE_LABELS.get(key, key.replace("_", " ").capitalize()),
            src=png_data_uri(pictures[key], normalise=False),
        )
        for key in config.CHOICES["initial_image"]
        if key in pictures
    ]


def landing(request: HttpRequest) -> HttpResponse:
    rng = np.random.default_rng(THUMBNAIL_SEED)
    thumbnails = [
        Thumbnail(shape.key, shape.name, png_data_uri(shape.image(rng)), shape.is_noise)
        for shape in shapes.CATALOGUE.values()
    ]
    return render(request, "landing.html", {"thumbnails": thumbnails})


def _builder_settings(
    defaults: config.RunConfig, initial_images: list[Thumbnail]
) -> dict[str, Any]:
    """What the page script needs: where the API is, the bounds and the defaults."""
    return {
        "api": str(API_ROOT),
        "minClasses": config.MIN_CLASSES,
        "maxClasses": limits.max_classes(),
        "limits": {name: list(bounds) for name, bounds in limits.setting_limits().items()},
        "strictMin": sorted(config.STRICT_MIN),
        "defaults": {
            key: value for key, value in defaults.to_dict().items() if key not in {"classes"}
        },
        "architectures": {a.name: a.label for a in list_architectures()},
        "initialImages": {t.key: {"name": t.name, "src": t.src} for t in initial_images},
        "pollMs": 400,
        "pageSize": 10,
    }


@login_required
def builder(request: HttpRequest) -> HttpResponse:
    # The paper preset's defaults; the classes are only there to make a valid configuration.
    defaults = config.RunConfig(classes=("box", "line"))
    initial_images = initial_image_thumbnails()
    catalogue = [
        Thumbnail(shape.key, shape.name, catalogue_image_url(shape.key), shape.is_noise)
        for shape in shapes.CATALOGUE.values()
    ]
    context = {
        "catalogue": catalogue,
        "architectures": list_architectures(),
        "initial_images": initial_images,
        "step_sizes": config.STEP_SIZE_CHOICES,
        "epoch_choices": config.EPOCH_CHOICES,
        "choices": config.CHOICES,
        "limits": limits.setting_limits(),
        "defaults": defaults,
        "min_classes": config.MIN_CLASSES,
        "builder_settings": _builder_settings(defaults, initial_images),
    }
    return render(request, "experiments/builder.html", context)
