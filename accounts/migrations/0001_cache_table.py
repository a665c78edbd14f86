"""The cache's table (DatabaseCache), so that the API's rate limits are counted in the
database, by every web server process together, on a fresh clone or server with nothing
more than ``migrate``. Settings use this table when CACHE_URL is unset."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import migrations

CACHE_TABLE = "shapeshop_cache"


def create_cache_table(apps: Any, schema_editor: Any) -> None:
    # Named here rather than read from CACHES: the table exists whatever cache the settings
    # of the day name, so unsetting CACHE_URL later needs no extra step either.
    call_command(
        "createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0
    )


def drop_cache_table(apps: Any, schema_editor: Any) -> None:
    table = schema_editor.quote_name(CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
