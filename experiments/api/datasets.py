"""The datasets a run can train on, and their class images.

``GET /api/v1/datasets/`` lists every dataset in display order with its classes; the shapes
list the catalogue. A dataset's class images are served as PNGs: ``image.png`` is one of its
training images (the thumbnail), ``template.png`` the class's mean training image, which
|r| is measured against and which a highlight is painted on. Nothing here imports
TensorFlow: ``models_zoo.datasets`` reads its images with numpy, once per process.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from models_zoo import datasets, render, shapes

SHAPES = "shapes"


class DatasetClassSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="How a run configuration names it: box, digits:3.")
    name = serializers.CharField()
    is_noise = serializers.BooleanField(help_text="Drawn anew for every copy (shapes only).")
    image_url = serializers.CharField(help_text="Its thumbnail, a 28x28 PNG.")
    template_url = serializers.CharField(
        help_text="The image |r| is measured against and a highlight is painted on, a PNG."
    )
    irrelevant = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        allow_null=True,
        help_text="The dataset's own 28x28 mask of pixels that must not matter (1), used "
        "unless you paint a highlight of the class; null without one.",
    )


class DatasetSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    has_test = serializers.BooleanField(
        help_text="Whether its runs are measured on held-out test images (test_accuracy)."
    )
    defaults = serializers.DictField(
        help_text="Run settings that suit its size, filled in where a run does not give them."
    )
    template_note = serializers.CharField(help_text="What a class's |r| is measured against.")
    image_count = serializers.IntegerField(help_text="About how many images each class has.")
    classes = DatasetClassSerializer(many=True)


def _catalogue_classes() -> list[dict[str, Any]]:
    classes = []
    for shape in shapes.CATALOGUE.values():
        url = reverse("api:catalogue-image", args=[shape.key])
        classes.append(
            {
                "key": shape.key,
                "name": shape.name,
                "is_noise": shape.is_noise,
                "image_url": url,
                "template_url": url,
                "irrelevant": None,
            }
        )
    return classes


def _mask(key: str) -> list[list[int]] | None:
    mask = datasets.default_irrelevant(key)
    return None if mask is None else (np.asarray(mask) > 0.5).astype(int).tolist()


def _dataset_classes(dataset: str) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "name": name,
            "is_noise": False,
            "image_url": reverse("api:dataset-class-image", args=[key]),
            "template_url": reverse("api:dataset-class-template", args=[key]),
            "irrelevant": _mask(key),
        }
        for key, name in datasets.dataset_classes(dataset)
    ]


def dataset_list() -> list[dict[str, Any]]:
    """Every dataset in display order, with its classes."""
    return [
        {
            "key": info.key,
            "title": info.title,
            "description": info.description,
            "has_test": info.has_test,
            "defaults": dict(info.defaults),
            "template_note": info.template_note,
            "image_count": info.image_count,
            "classes": (_catalogue_classes() if info.key == SHAPES else _dataset_classes(info.key)),
        }
        for info in datasets.DATASETS.values()
    ]


class DatasetListView(APIView):
    """Every dataset a run can train on, with its classes, defaults and whether it has a
    held-out test split."""

    @extend_schema(responses=DatasetSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(DatasetSerializer(dataset_list(), many=True).data)


def _png(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    # The images of a dataset never change while the site runs.
    response["Cache-Control"] = "public, max-age=86400"
    return response


class DatasetClassImageView(APIView):
    """A dataset class's image as a 28x28 PNG: one of its training images (``image``) or
    its mean training image (``template``). Public: it holds no user data."""

    permission_classes = [AllowAny]
    which = "image"

    @extend_schema(
        responses={
            (200, "image/png"): OpenApiResponse(description="28x28 PNG"),
            404: OpenApiResponse(description="No such class"),
        }
    )
    def get(self, request: Request, key: str) -> HttpResponse:
        if not datasets.is_dataset_class(key):
            raise Http404("No such dataset class.")
        image = datasets.template(key) if self.which == "template" else datasets.example(key)
        return _png(render.to_png(image))
