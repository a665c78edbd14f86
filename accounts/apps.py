from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import Tags, register


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from shapeshop_site.checks import counters_are_shared

        # Not tagged "deploy": the check looks at DEBUG itself, so that a production
        # `migrate` or `runserver` stops on it too, not only `check --deploy`.
        register(counters_are_shared, Tags.caches, Tags.security)
