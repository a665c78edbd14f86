"""How experiments look in JSON, and the checks on the settings a client sends.

The settings' fields are built from the ML core's tables (``models_zoo.config``: LIMITS,
CHOICES, STRICT_MIN/MAX, MIN_CLASSES) with this site's caps applied (``experiments.limits``),
so a bound or a choice is written once. They are built for each request, as the caps are
settings. The services check everything again (``services.validate_config`` through
``RunConfig.from_dict``, the final word, which the command line uses too) and add what spans
several fields, such as the size of the training set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from experiments import limits
from experiments.models import ClassResult, Experiment
from models_zoo import config
from models_zoo.architectures import list_architectures
from models_zoo.metrics import mean_and_sd


class ExtraImageSerializer(serializers.Serializer):
    """One of a class's further generated images (the run's ``diversity`` > 1)."""

    r = serializers.FloatField(read_only=True, allow_null=True)
    steps = serializers.IntegerField(read_only=True)
    reached = serializers.BooleanField(read_only=True)
    probability = serializers.FloatField(read_only=True)
    start = serializers.CharField(read_only=True, help_text="The initial image it started from.")
    image_url = serializers.CharField(read_only=True)


class ClassResultSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    r = serializers.FloatField(read_only=True, allow_null=True)
    steps = serializers.IntegerField(read_only=True)
    reached = serializers.BooleanField(read_only=True)
    probability = serializers.FloatField(read_only=True)
    image_url = serializers.SerializerMethodField()
    template_url = serializers.SerializerMethodField()
    extras = serializers.SerializerMethodField(
        help_text="The class's other generated images, from other starts; empty with one."
    )
    mean_r = serializers.SerializerMethodField(
        help_text="Mean |r| over all the class's images that have one."
    )
    sd_r = serializers.SerializerMethodField(
        help_text="Sample standard deviation of those |r|; null with fewer than two."
    )

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

    @extend_schema_field(ExtraImageSerializer(many=True))
    def get_extras(self, result: ClassResult) -> list[dict[str, Any]]:
        args = [result.experiment_id, result.position]
        return [
            {
                **figures,
                "image_url": reverse("api:result-extra-image", args=[*args, index]),
            }
            for index, figures in enumerate(result.extras or [], start=1)
        ]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_mean_r(self, result: ClassResult) -> float | None:
        return _all_r(result)[0]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_sd_r(self, result: ClassResult) -> float | None:
        return _all_r(result)[1]


def _all_r(result: ClassResult) -> tuple[float | None, float | None]:
    return mean_and_sd([result.r, *(extra.get("r") for extra in result.extras or [])])


class ExperimentSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_name", read_only=True)
    classes = serializers.ListField(source="class_keys", child=serializers.CharField())
    results = ClassResultSerializer(many=True, read_only=True)
    source_number = serializers.SerializerMethodField(
        help_text="The owner's number of the experiment in `source`, null without one."
    )

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
            "test_accuracy",
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
            "source_number",
            "highlight_effects",
            "highlight_baseline",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_source_number(self, experiment: Experiment) -> int | None:
        # A page names a follow-up's source by the number its owner knows it by, whether or
        # not the source's row is on that page. The selectors annotate it; a row read
        # another way costs one small query.
        if experiment.source_id is None:
            return None
        if hasattr(experiment, "source_number"):
            return experiment.source_number
        numbers = Experiment.objects.filter(pk=experiment.source_id).values_list(
            "number", flat=True
        )
        return numbers.first()


# --- the run settings ---------------------------------------------------------------------


class _MoreThan(MinValueValidator):
    """An exclusive lower bound (STRICT_MIN); the schema shows it as the minimum."""

    def compare(self, a: Any, b: Any) -> bool:
        return a <= b


class _LessThan(MaxValueValidator):
    """An exclusive upper bound (STRICT_MAX); the schema shows it as the maximum."""

    def compare(self, a: Any, b: Any) -> bool:
        return a >= b


class _Number(serializers.FloatField):
    """A finite number; true and false are not numbers here, though Python counts them."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


def _bound_validators(name: str, low: float, high: float, *, whole: bool) -> list[Any]:
    """The checks of a setting's bounds, with the wording of the ML core's own messages."""
    # Whole numbers are shown as they are: %g would round them, or fail on one too large
    # for a float.
    low_text, high_text = (f"{low}", f"{high}") if whole else (f"{low:g}", f"{high:g}")
    value = "%(value)s" if whole else "%(value)g"
    lower = f"more than {low_text}" if name in config.STRICT_MIN else f"at least {low_text}"
    upper = f"less than {high_text}" if name in config.STRICT_MAX else f"at most {high_text}"
    message = f"must be {lower} and {upper}, not {value}"
    high_message = message
    if high < config.LIMITS[name][1]:
        high_message = f"must be at most {high_text} on this server, not {value}"
    too_low = _MoreThan if name in config.STRICT_MIN else MinValueValidator
    too_high = _LessThan if name in config.STRICT_MAX else MaxValueValidator
    return [too_low(low, message=message), too_high(high, message=high_message)]


def _choice_field(choices: list[str], invalid: str) -> serializers.ChoiceField:
    """``invalid`` names the value sent as ``{input!r}``."""
    return serializers.ChoiceField(
        choices=choices,
        required=False,
        error_messages={"invalid_choice": invalid, "null": f"choose one of {', '.join(choices)}"},
    )


def _classes_field() -> serializers.ListField:
    most = limits.max_classes()
    too_many = f"select at most {most} classes"
    if most < config.MAX_CLASSES:
        too_many += " on this server"
    too_few = f"select at least {config.MIN_CLASSES} classes"
    name = "each class must be a non-empty name"
    return serializers.ListField(
        child=serializers.CharField(error_messages={"invalid": name, "blank": name, "null": name}),
        min_length=config.MIN_CLASSES,
        max_length=most,
        help_text=f"Class keys, at least {config.MIN_CLASSES}.",
        error_messages={
            "required": too_few,
            "null": "must be a list of class names",
            "not_a_list": "must be a list of class names",
            "min_length": too_few,
            "max_length": too_many,
        },
    )


@extend_schema_field(
    serializers.ListField(child=serializers.IntegerField(), help_text="Or text: 64,32.")
)
class _SizesField(serializers.Field):
    """A list-valued setting (``config.LIST_LIMITS``): a list of whole numbers, or the text
    "64,32"; read and checked by the ML core's own rules, so the message is the same."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.setting = name
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[int]:
        try:
            values = config.coerce_list(self.setting, data)
            config.check_list(self.setting, values)
        except config.ConfigError as error:
            raise serializers.ValidationError(error.message) from None
        return list(values)

    def to_representation(self, value: Any) -> list[int]:
        return list(value)


def setting_fields(names: Iterable[str], *, seed_may_be_null: bool) -> dict[str, Any]:
    """One optional field per run setting in ``names``, typed and bounded as the ML core's
    tables and this site's caps say."""
    defaults = config.RunConfig(classes=("box", "line")).to_dict()
    bounds = limits.setting_limits()
    models = [architecture.name for architecture in list_architectures()]
    fields: dict[str, Any] = {}
    for name in names:
        default = defaults[name]
        field: serializers.Field
        if name == "classes":
            field = _classes_field()
        elif name == "model":
            invalid = "unknown model {input!r}; choose one of " + ", ".join(models)
            field = _choice_field(models, invalid)
        elif name in config.CHOICES:
            allowed = list(config.CHOICES[name])
            field = _choice_field(allowed, f"must be one of {', '.join(allowed)}, not {{input!r}}")
        elif name in config.LIST_LIMITS:
            field = _SizesField(name, required=False)
        elif isinstance(default, bool):
            invalid = "must be true or false"
            field = serializers.BooleanField(
                required=False, error_messages={"invalid": invalid, "null": invalid}
            )
        elif name in bounds:
            whole = isinstance(default, int)
            low, high = bounds[name]
            kind = serializers.IntegerField if whole else _Number
            invalid = "must be a whole number" if whole else "must be a number"
            may_be_null = default is None or (name == "seed" and seed_may_be_null)
            field = kind(
                required=False,
                allow_null=may_be_null,
                validators=_bound_validators(name, low, high, whole=whole),
                error_messages={"invalid": invalid, "null": invalid},
            )
        else:
            raise ValueError(f"run setting {name!r} has no API field")
        fields[name] = field
    return fields


def _refuse_unknown(data: Any, fields: Mapping[str, Any], message: str) -> None:
    if isinstance(data, Mapping):
        unknown = [key for key in data if key not in fields]
        if unknown:
            raise serializers.ValidationError({str(unknown[0]): [message]})


class ExperimentCreateSerializer(serializers.Serializer):
    """The settings of a new experiment; those omitted take the paper's defaults."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = setting_fields(config.RunConfig.field_names(), seed_may_be_null=True)
        defaults = config.RunConfig(classes=("box", "line")).to_dict()
        rates = ", ".join(f"{k} {v:g}" for k, v in config.DEFAULT_LEARNING_RATES.items())
        for name, field in fields.items():
            if name == "seed":
                field.help_text = "Default: random."
            elif name == "learning_rate":
                field.help_text = f"Default: the optimizer's own ({rates})."
            elif name != "classes":
                field.help_text = f"Default: {json.dumps(defaults[name])}."
        return fields

    def to_internal_value(self, data: Any) -> Any:
        _refuse_unknown(data, self.fields, "is not a setting")
        return super().to_internal_value(data)

    def to_representation(self, instance: Experiment) -> Any:
        # The answer to a create is the new experiment itself.
        return ExperimentSerializer(instance, context=self.context).data


class RerunSerializer(serializers.Serializer):
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=config.LIMITS["seed"][0],
        max_value=config.LIMITS["seed"][1],
        help_text="A new seed; omitted or null keeps the source's seed.",
    )


class RevisualizeSerializer(serializers.Serializer):
    """Image-generation settings; those omitted keep the source's values."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return setting_fields(config.GENERATION_FIELDS, seed_may_be_null=False)

    def to_internal_value(self, data: Any) -> Any:
        message = "a re-visualization changes only image settings: " + ", ".join(
            config.GENERATION_FIELDS
        )
        _refuse_unknown(data, self.fields, message)
        return super().to_internal_value(data)


# --- what the builder offers ----------------------------------------------------------


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
