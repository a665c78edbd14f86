"""How experiments and their results look in JSON (read side; writes go through services)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from experiments.models import ClassResult, Experiment
from models_zoo.config import RunConfig


class ClassResultSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    r = serializers.FloatField(read_only=True, allow_null=True)
    steps = serializers.IntegerField(read_only=True)
    reached = serializers.BooleanField(read_only=True)
    probability = serializers.FloatField(read_only=True)
    image_url = serializers.SerializerMethodField()
    template_url = serializers.SerializerMethodField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # "class" is a Python keyword, so that field cannot be a class attribute.
        return {
            "class": serializers.CharField(source="class_key", read_only=True),
            **super().get_fields(),
        }

    def get_image_url(self, result: ClassResult) -> str:
        return reverse("api:result-image", args=[result.experiment_id, result.position])

    def get_template_url(self, result: ClassResult) -> str:
        return reverse("api:result-template", args=[result.experiment_id, result.position])


class ExperimentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_name", read_only=True)
    classes = serializers.ListField(source="class_keys", child=serializers.CharField())
    results = ClassResultSerializer(many=True, read_only=True)

    class Meta:
        model = Experiment
        fields = [
            "id",
            "number",
            "status",
            "progress",
            "config",
            "model",
            "classes",
            "seed",
            "accuracy",
            "loss",
            "val_accuracy",
            "val_loss",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "history",
            "training",
            "cross_r",
            "timings",
            "results",
            "kind",
            "source",
            "highlight_effects",
            "highlight_baseline",
        ]
        read_only_fields = fields


def _config_fields() -> dict[str, serializers.Field]:
    """One optional field per run setting, for the API's schema only."""
    defaults = RunConfig(classes=("box", "line")).to_dict()
    fields: dict[str, serializers.Field] = {
        "classes": serializers.ListField(
            child=serializers.CharField(), help_text="Class keys, at least 2."
        )
    }
    for name, default in defaults.items():
        if name == "classes":
            continue
        if isinstance(default, bool):
            field: serializers.Field = serializers.BooleanField(required=False)
        elif isinstance(default, int):
            field = serializers.IntegerField(required=False)
        elif isinstance(default, float) or default is None:
            field = serializers.FloatField(required=False, allow_null=True)
        else:
            field = serializers.CharField(required=False)
        field.help_text = f"Default: {default!r}." if name != "seed" else "Default: random."
        fields[name] = field
    return fields


ExperimentCreateSerializer = type(
    "ExperimentCreateSerializer",
    (serializers.Serializer,),
    {
        **_config_fields(),
        "__doc__": "The settings of a new experiment; models_zoo.config validates them.",
    },
)


class CatalogueEntrySerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    index = serializers.IntegerField()
    is_noise = serializers.BooleanField()
    thumbnail_url = serializers.CharField()


class ArchitectureSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
