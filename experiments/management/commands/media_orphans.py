"""``manage.py media_orphans [--delete]``: stored files that no row points at."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from experiments import files


class Command(BaseCommand):
    help = (
        "Lists the weights and result images in media storage that no experiment or result "
        "points at; with --delete, removes them (and result folders left empty)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="Remove what is found.")

    def handle(self, *args: Any, **options: Any) -> None:
        found = files.orphans()
        for name in found:
            self.stdout.write(name)
        if options["delete"]:
            files.remove_files(found)
            self.stdout.write(self.style.SUCCESS(f"Removed {len(found)} files no row points at."))
        else:
            self.stdout.write(f"{len(found)} files no row points at; --delete removes them.")
