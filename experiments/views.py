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
from models_zoo import config, datasets, shapes, sweep
from models_zoo import render as shape_render
from models_zoo.architectures import list_architectures

# Where the page scripts find the JSON API (its root lists every endpoint).
API_ROOT = reverse_lazy("api:root")
# A fixed draw so the noise thumbnails look the same on every visit.
THUMBNAIL_SEED = 7

# What the builder calls each run setting, beside its field and in the messages about it (an
# error names the field by its label, never by its key).
SETTING_LABELS = {
    "classes": "Classes",
    "model": "Model",
    "initial_image": "Initial image",
    "step_size": "Step size",
    "epochs": "Epochs",
    "seed": "Seed",
    "optimizer": "Optimizer",
    "learning_rate": "Learning rate",
    "batch_size": "Batch size",
    "validation_split": "Validation split",
    "copies": "Copies per class",
    "noise_amplitude": "Noise on copies",
    "objective": "Objective",
    "threshold": "Stop at probability",
    "max_steps": "Iteration cap",
    "clip": "Clipping",
    "l2": "L2 decay",
    "tv": "Total variation",
    "blur_every": "Blur every",
    "jitter": "Jitter",
    "snapshot_every": "Snapshot every",
    "highlight": "Highlighting",
    "highlight_lambda": "Penalty weight λ",
    "highlight_outside_relevant": "Outside yellow",
    "mlp_layers": "Hidden layers",
    "cnn_filters": "Convolution filters",
    "cnn_dense": "Dense units",
    "diversity": "Images per class",
    "diversity_starts": "Other starts",
    "pool_gradient": "Max-pool gradient",
}

# The numeric settings under Advanced, in the order shown, each with what it does (the page
# adds its bounds). Their bounds and defaults come from the run configuration and this site's caps.
TRAINING_SETTINGS = {
    "learning_rate": "Empty: the optimizer's own rate",
    "batch_size": "Training images per optimizer step",
    "validation_split": "Share of the training images held out to measure validation accuracy",
    "copies": "Training images per class, each with a little noise",
    "noise_amplitude": "The most noise added to a pixel of each copy",
}
GENERATION_SETTINGS = {
    "threshold": "Generating a class's image stops once the model is this sure of it",
    "max_steps": "The most generation steps per class",
    "l2": "Shrinks the image towards black a little at every step; 0 turns it off",
    "tv": "Penalises differences between neighbouring pixels, for smoother images; 0 turns it off",
    "blur_every": "Blurs the image every this many steps; 0 turns it off",
    "jitter": "Shifts the image by up to this many pixels at random at every step; 0 turns it off",
    "snapshot_every": (
        "Keeps the image every this many steps, for the compare view's evolution slider; "
        "0 turns it off"
    ),
    "diversity": (
        "Generates this many images per class, each from its own start, and shows the mean "
        "and spread of their |r|; 1 is one image"
    ),
}

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
    # What a highlight is painted on, where it is not the thumbnail itself.
    template: str = ""


@dataclass(frozen=True)
class NumberSetting:
    """One numeric run setting as an input: its label, bounds, default and help."""

    name: str
    label: str
    help: str
    whole: bool
    low: float
    high: float
    value: str

    @property
    def bounds(self) -> str:
        """The bounds in words: "a whole number from 1 to 256", "more than 0, at most 10"."""
        if self.whole:
            return f"a whole number from {self.low:g} to {self.high:g}"
        strict_low, strict_high = self.name in config.STRICT_MIN, self.name in config.STRICT_MAX
        if not strict_low and not strict_high:
            return f"from {self.low:g} to {self.high:g}"
        low = f"more than {self.low:g}" if strict_low else f"at least {self.low:g}"
        high = f"less than {self.high:g}" if strict_high else f"at most {self.high:g}"
        return f"{low}, {high}"


def number_settings(defaults: config.RunConfig, helps: dict[str, str]) -> list[NumberSetting]:
    bounds = limits.setting_limits()
    values = defaults.to_dict()
    fields = []
    for name, text in helps.items():
        default = values[name]
        fields.append(
            NumberSetting(
                name=name,
                label=SETTING_LABELS[name],
                help=text,
                whole=isinstance(default, int),
                low=bounds[name][0],
                high=bounds[name][1],
                value="" if default is None else str(default),
            )
        )
    return fields


def png_data_uri(image: np.ndarray, *, normalise: bool = True) -> str:
    """A 28x28 image as an inline PNG; the page upscales it with crisp pixels."""
    encoded = base64.b64encode(shape_render.to_png(image, normalise=normalise)).decode("ascii")
    return f"data:image/png;base64,{encoded}"


def catalogue_image_url(key: str) -> str:
    return reverse("api:catalogue-image", args=[key])


def dataset_image_url(key: str) -> str:
    """A dataset class's thumbnail: one of its training images, as a PNG."""
    return reverse("api:dataset-class-image", args=[key])


@dataclass(frozen=True)
class DatasetGroup:
    """One dataset as a tab of step 1: its words, its defaults and its class thumbnails."""

    info: datasets.DatasetInfo
    classes: list[Thumbnail]

    @property
    def key(self) -> str:
        return self.info.key

    @property
    def defaults_text(self) -> str:
        """The settings a choice of its classes fills in: "Batch size 64, Epochs 15"."""
        defaults = self.info.defaults.items()
        return ", ".join(f"{SETTING_LABELS.get(name, name)} {value}" for name, value in defaults)


def dataset_groups(catalogue: list[Thumbnail]) -> list[DatasetGroup]:
    """Every dataset in display order; the shapes' classes are the catalogue's."""
    groups = []
    for info in datasets.DATASETS.values():
        if info.key == "shapes":
            classes = catalogue
        else:
            classes = [
                Thumbnail(
                    key,
                    name,
                    dataset_image_url(key),
                    template=reverse("api:dataset-class-template", args=[key]),
                )
                for key, name in datasets.dataset_classes(info.key)
            ]
        groups.append(DatasetGroup(info=info, classes=classes))
    return groups


def _default_mask(group: DatasetGroup) -> list[list[int]] | None:
    """The pixels a dataset marks as not mattering for its classes (one mask for all of
    them), which its runs use until a class is highlighted; None for most datasets."""
    if group.key == "shapes" or not group.classes:
        return None
    mask = datasets.default_irrelevant(group.classes[0].key)
    return None if mask is None else (np.asarray(mask) > 0.5).astype(int).tolist()


def _dataset_settings(groups: list[DatasetGroup]) -> dict[str, Any]:
    """What the page script needs of each dataset: its classes, defaults and words."""
    return {
        group.key: {
            "title": group.info.title,
            "hasTest": group.info.has_test,
            "templateNote": group.info.template_note,
            "defaults": dict(group.info.defaults),
            "classes": [thumbnail.key for thumbnail in group.classes],
            "defaultMask": _default_mask(group),
        }
        for group in groups
    }


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
    defaults: config.RunConfig, initial_images: list[Thumbnail], groups: list[DatasetGroup]
) -> dict[str, Any]:
    """What the page script needs: where the API is, the bounds and the defaults."""
    return {
        "api": str(API_ROOT),
        "minClasses": config.MIN_CLASSES,
        "maxClasses": limits.max_classes(),
        "limits": {name: list(bounds) for name, bounds in limits.setting_limits().items()},
        "listLimits": {name: bound._asdict() for name, bound in limits.list_limits().items()},
        "shapeSettings": {a.name: list(a.sizes) for a in list_architectures()},
        "strictMin": sorted(config.STRICT_MIN),
        "strictMax": sorted(config.STRICT_MAX),
        "labels": SETTING_LABELS,
        "learningRates": config.DEFAULT_LEARNING_RATES,
        "defaults": {
            key: value for key, value in defaults.to_dict().items() if key not in {"classes"}
        },
        "architectures": {a.name: a.label for a in list_architectures()},
        "initialImages": {t.key: {"name": t.name, "src": t.src} for t in initial_images},
        "pollMs": 400,
        "pageSize": 10,
        "sweep": _sweep_settings(),
        "datasets": _dataset_settings(groups),
    }


# A sweep of one seed is no group: the sweeps API asks for at least two.
SWEEP_MIN_SEEDS = 2
SWEEP_DEFAULT_SEEDS = 5


def _sweep_settings() -> dict[str, Any]:
    """The builder's sweep form: what may be varied, over which choices, and its bounds."""
    return {
        "variable": list(sweep.VARIABLE),
        "choices": {"model": [a.name for a in list_architectures()], **config.CHOICES},
        "minSeeds": SWEEP_MIN_SEEDS,
        "maxSeeds": sweep.MAX_SEEDS,
        "defaultSeeds": SWEEP_DEFAULT_SEEDS,
        "maxVaried": sweep.MAX_VARIED,
        "maxValues": sweep.MAX_VALUES,
        "maxRuns": sweep.MAX_RUNS,
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
    groups = dataset_groups(catalogue)
    context = {
        "catalogue": catalogue,
        "datasets": groups,
        "architectures": list_architectures(),
        "initial_images": initial_images,
        "step_sizes": config.STEP_SIZE_CHOICES,
        "epoch_choices": config.EPOCH_CHOICES,
        "choices": config.CHOICES,
        "limits": limits.setting_limits(),
        "list_limits": limits.list_limits(),
        "defaults": defaults,
        "min_classes": config.MIN_CLASSES,
        "labels": SETTING_LABELS,
        "training_settings": number_settings(defaults, TRAINING_SETTINGS),
        "generation_settings": number_settings(defaults, GENERATION_SETTINGS),
        "builder_settings": _builder_settings(defaults, initial_images, groups),
    }
    return render(request, "experiments/builder.html", context)
