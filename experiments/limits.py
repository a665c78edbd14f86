"""The bounds of every run setting on this site: the ML core's own (``models_zoo.config``),
tightened by the site's caps (``settings.MAX_EPOCHS``, ``MAX_STEPS``, ``MAX_CLASSES``).

The builder page, the API's serializers and :func:`experiments.services.validate_config` all
read them here, so a bound is written once and a cap is applied the same way everywhere.
Settings are read on every call: tests and deployments may change them.
"""

from __future__ import annotations

from django.conf import settings

from models_zoo import config

# The run settings this site caps below the ML core's bound, and the setting holding each cap.
SITE_CAPS = {"epochs": "MAX_EPOCHS", "max_steps": "MAX_STEPS"}


def site_caps() -> dict[str, int]:
    """This site's cap of each capped run setting: ``{"epochs": 500, ...}``."""
    return {field: getattr(settings, name) for field, name in SITE_CAPS.items()}


def setting_limits() -> dict[str, tuple[float, float]]:
    """The inclusive bounds of every numeric setting (``config.LIMITS``), the site's caps
    applied; ``config.STRICT_MIN`` and ``STRICT_MAX`` say which bounds are exclusive."""
    limits = dict(config.LIMITS)
    for field, cap in site_caps().items():
        low, high = limits[field]
        limits[field] = (low, min(high, cap))
    return limits


def max_classes() -> int:
    """The most classes one run may have here."""
    return min(config.MAX_CLASSES, settings.MAX_CLASSES)


def list_limits() -> dict[str, config.ListLimit]:
    """The bounds of the list-valued settings (the model's shape): how many entries, and each
    entry's range. This site applies no cap of its own to them."""
    return dict(config.LIST_LIMITS)
